"""The exchange's access layer: every service reaches the case or query it acts on through here.

A service is handed an id, never an object its caller looked up: whoever calls it (a view,
the admin, a command, a task, a web page) gets the same answer, decided by
`CaseQuerySet.restrict` / `QueryQuerySet.restrict` (the one statement of scope) through
`audit.access.access_object`. Out of scope is the `NotFound` of a missing object, audited
once. Call these outside the transaction of the act: a denial recorded inside a transaction
that the `NotFound` then rolls back would be lost. A service that needs the row locked
reads it again by its key inside its transaction; what decides scope (a case's unit, a
query's case and partner, a refused status) never changes once written.

Acts that name no object (opening a case, searching accounts) are refused by role, as
`Forbidden`, audited here too (`police_only`, `roles_only`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import cast
from uuid import UUID

from audit.access import access_object
from audit.denials import denial_record
from core.actors import Actor, acting_role
from core.errors import Forbidden
from core.roles import POLICE_ROLES
from partners.models import Person

from .models import Case, Query


def access_case_by_id(actor: Actor, case_id: UUID | str, action: str) -> Case:
    """The case `case_id`, if `actor` may do `action` (`VIEW`, `CHANGE`) to it; else `NotFound`.
    Its unit comes with it: what a case's act checks (a policy, a grant) is the unit's."""
    return access_object(
        actor=actor, model=Case, action=action, queryset=Case.objects.select_related("unit"), pk=case_id
    )


def access_query_by_id(actor: Actor, query_id: UUID | str, action: str) -> Query:
    """The query `query_id`, if `actor` may do `action` (`VIEW`, `REVEAL`, `ANSWER`) to it;
    else `NotFound`."""
    return access_object(actor=actor, model=Query, action=action, pk=query_id)


def police_only(actor: Actor, message: str) -> None:
    """Refuse anyone but police an act that names no object: `Forbidden`, audited once, here."""
    roles_only(actor, POLICE_ROLES, message)


def roles_only(actor: Actor, roles: Collection[str], message: str) -> None:
    """Refuse anyone acting in a role not among `roles` an act that names no object:
    `Forbidden`, audited once, here."""
    if acting_role(actor) in roles:
        return
    denial_record(actor=actor, details={"status": 403, "code": Forbidden.code, "reason": "role"})
    refusal = Forbidden(message)
    refusal.audited = True
    raise refusal


def acting_person(actor: Actor) -> Person:
    """The person a police act names in its rows (`opened_by`, `closed_by`, `requested_by`):
    only police pass `police_only`, or `restrict` for such an act, and police are people."""
    return cast(Person, actor)
