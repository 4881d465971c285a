"""The restriction point of cases and queries: the one statement of who reaches which.

`restrict(actor, action)` keeps what `actor` may do `action` to; everything else does not
exist for that actor (`exchange.access` answers it with the not-found of a missing object).

- Police (officers, supervisors) view and change their own unit's cases, traces and holds,
  and view, reveal and change (cancel) their own unit's queries; only supervisors approve.
- An answering partner's adapter views and answers the queries addressed to its partner;
  its operators view them. Neither ever sees a query the gateway did not send (refused,
  awaiting approval, or cancelled before it left).
- A deactivated person, or anyone of a suspended partner, reaches nothing (`acting_role`).
- Auditors view every case and query (masked) and act on none.
- Administrators run the registry and reach no case data at all; nor does the system
  (`SystemActor`), which acts only on rows it already holds (a delivery, an expiry).
"""

from __future__ import annotations

from django.db import models

from core.actors import Actor, acting_role
from core.roles import POLICE_ROLES, Role
from partners.querysets import CHANGE, VIEW

from .choices import NOT_SENT_STATUSES, QueryStatus

REVEAL = "reveal"  # read a query's plaintext, for a purpose
ANSWER = "answer"  # lease a query from the inbox, record its answer
APPROVE = "approve"  # let a query that waits for a supervisor leave, or reject it

__all__ = [
    "ANSWER",
    "APPROVE",
    "CHANGE",
    "REVEAL",
    "VIEW",
    "CaseQuerySet",
    "HoldQuerySet",
    "QueryQuerySet",
    "TraceQuerySet",
]


class _UnitScopedQuerySet(models.QuerySet):
    """Rows of one unit's cases: its police view and change them, auditors view them."""

    unit_field = "case__unit_id"

    def restrict(self, actor: Actor, action: str = VIEW) -> models.QuerySet:
        role = acting_role(actor)
        if role in POLICE_ROLES and action in (VIEW, CHANGE):
            return self.filter(**{self.unit_field: actor.partner.pk})
        if role == Role.AUDITOR and action == VIEW:
            return self.all()
        return self.none()


class CaseQuerySet(_UnitScopedQuerySet):
    unit_field = "unit_id"


class TraceQuerySet(_UnitScopedQuerySet):
    pass


class HoldQuerySet(_UnitScopedQuerySet):
    pass


class QueryQuerySet(models.QuerySet):
    def restrict(self, actor: Actor, action: str = VIEW) -> QueryQuerySet:
        role = acting_role(actor)
        if (role in POLICE_ROLES and action in (VIEW, REVEAL, CHANGE)) or (
            role == Role.SUPERVISOR and action == APPROVE
        ):
            return self.filter(case__unit_id=actor.partner.pk)
        if (role == Role.ADAPTER and action in (VIEW, ANSWER)) or (role == Role.OPERATOR and action == VIEW):
            return (
                self.filter(partner_id=actor.partner.pk)
                .exclude(status__in=NOT_SENT_STATUSES)
                .exclude(status=QueryStatus.CANCELLED, dispatched_at__isnull=True)
            )
        if role == Role.AUDITOR and action == VIEW:
            return self.all()
        return self.none()
