"""Reads of the partner registry, for an actor: what the API, the admin and web pages show.

Lists are `restrict(actor)` of their table; one object comes through `partners.access`, so
what an actor may not see is missing, audited. `grants_active_for` answers the exchange's
question (may this unit send this kind to that partner, now?) for a unit it has already
resolved from its actor.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from core.actors import Actor

from .access import access_grant_by_id, access_partner_by_code, access_person_by_username
from .models import AdapterKey, Grant, Partner, Person
from .permissions import send_codename
from .querysets import VIEW


def partner_list(*, actor: Actor | None) -> QuerySet[Partner]:
    return Partner.objects.restrict(actor)


def partner_get(*, actor: Actor | None, code: str) -> Partner:
    return access_partner_by_code(actor=actor, code=code, action=VIEW)


def person_list(*, actor: Actor | None) -> QuerySet[Person]:
    return Person.objects.restrict(actor).select_related("partner")


def person_get(*, actor: Actor | None, username: str) -> Person:
    return access_person_by_username(actor=actor, username=username, action=VIEW)


def adapter_key_list(*, actor: Actor | None) -> QuerySet[AdapterKey]:
    return AdapterKey.objects.restrict(actor).select_related("partner")


def grant_list(*, actor: Actor | None, active_only: bool = False) -> QuerySet[Grant]:
    """The grants `actor` may see; `active_only` keeps the unexpired ones."""
    grants = Grant.objects.restrict(actor).select_related("group", "permission", "content_object")
    return grants.active() if active_only else grants


def grant_get(*, actor: Actor | None, grant_id: int) -> Grant:
    return access_grant_by_id(actor=actor, grant_id=grant_id, action=VIEW)


def grants_active_for(
    *, unit: Partner, partner: Partner, kind: str, at: datetime | None = None
) -> QuerySet[Grant]:
    """The unit's unexpired grants to send `kind` to `partner` (at most one): an indexed query."""
    return Grant.objects.active(at).filter(
        group_id=unit.group_id, content_object=partner, permission__codename=send_codename(kind)
    )
