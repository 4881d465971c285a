"""The watchlist's access layer: every service reaches the entry or case it acts on through here.

As `exchange.access`: an entry out of the actor's scope is the `NotFound` of a missing one,
audited once by `audit.access.access_object`; call these outside the act's transaction. A
refusal by role of an object the actor does reach (an officer delisting their unit's entry)
is a `Forbidden`, audited here too, naming the object.
"""

from __future__ import annotations

from uuid import UUID

from django.db import models

from audit.access import access_object
from audit.denials import denial_record
from core.actors import Actor, acting_role
from core.errors import Forbidden
from core.roles import POLICE_ROLES, Role
from exchange.access import police_only
from partners.choices import PartnerKind

from .models import WatchlistEntry

__all__ = ["access_entry_by_id", "checker_only", "police_only", "supervisor_only"]

# The partners whose adapters check values before they open an account or pay a payee.
CHECKING_PARTNER_KINDS = frozenset({PartnerKind.BANK, PartnerKind.PAYMENT_PLATFORM})


def access_entry_by_id(
    actor: Actor,
    entry_id: UUID | str,
    action: str,
    *,
    queryset: models.QuerySet[WatchlistEntry] | None = None,
) -> WatchlistEntry:
    """The entry `entry_id`, if `actor` may do `action` (`VIEW`, `CHANGE`) to it; else `NotFound`.
    `queryset` prepares the read (counts), as `access_object` takes it."""
    return access_object(actor=actor, model=WatchlistEntry, action=action, queryset=queryset, pk=entry_id)


def _refuse(actor: Actor, message: str, *, target: models.Model | None = None, case_id: str = "") -> None:
    denial_record(
        actor=actor,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        case_id=case_id,
        details={"status": 403, "code": Forbidden.code, "reason": "role"},
    )
    refusal = Forbidden(message)
    refusal.audited = True
    raise refusal


def supervisor_only(actor: Actor, message: str, *, target: models.Model, case_id: str) -> None:
    """Refuse anyone but a supervisor an act on `target`, which the actor reaches: `Forbidden`."""
    if acting_role(actor) != Role.SUPERVISOR:
        _refuse(actor, message, target=target, case_id=case_id)


def checker_only(actor: Actor) -> None:
    """Who may check values: police, and the adapters of banks and payment platforms."""
    role = acting_role(actor)
    if role in POLICE_ROLES:
        return
    if role == Role.ADAPTER and actor.partner.kind in CHECKING_PARTNER_KINDS:
        return
    _refuse(actor, "Only police and the adapters of banks and payment platforms check the watchlist.")
