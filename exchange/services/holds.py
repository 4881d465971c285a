"""Reading a case's holds: what is stopped or frozen, until when, for the unit and its auditors."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from audit.services import event_record
from core.actors import Actor
from exchange.access import access_case_by_id
from exchange.audit_actions import ExchangeAction
from exchange.models import Hold
from exchange.querysets import VIEW


def hold_list(*, actor: Actor, case_id: UUID | str) -> QuerySet[Hold]:
    """The holds of one case the actor may see (police of its unit, auditors; `NotFound` for
    anybody else), soonest to end first; the reading is recorded against the case, as a
    case's reading is."""
    case = access_case_by_id(actor, case_id, VIEW)
    event_record(actor=actor, action=ExchangeAction.HOLDS_VIEWED, target=case, case_id=str(case.pk))
    return Hold.objects.restrict(actor, VIEW).filter(case_id=case.pk).select_related("bank")
