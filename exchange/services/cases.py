"""Opening and closing cases: police of a unit, for their own unit only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import event_record
from core.actors import is_police
from core.errors import Conflict, Forbidden
from exchange.audit_actions import ExchangeAction
from exchange.choices import CaseStatus
from exchange.models import Case


def _require_police(actor: Any) -> None:
    if not is_police(actor):
        raise Forbidden("Only police officers and supervisors work on cases.")


@transaction.atomic
def case_open(
    *, actor: Any, number: str, title: str, fraud_type: str, legal_basis: str, victim_loss: Decimal
) -> Case:
    """Open a case of the actor's unit; its number is unique within the unit."""
    _require_police(actor)
    case = Case(
        unit=actor.partner,
        number=number,
        title=title,
        fraud_type=fraud_type,
        legal_basis=legal_basis,
        victim_loss=victim_loss,
        opened_by=actor,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise Conflict(
            "Your unit already has a case with this number.", fields={"number": ["Taken."]}
        ) from None
    event_record(
        actor=actor,
        action=ExchangeAction.CASE_OPENED,
        target=case,
        case_id=str(case.pk),
        details={"fraud_type": fraud_type},
    )
    return case


@transaction.atomic
def case_close(*, actor: Any, case: Case) -> Case:
    """Close a case: it accepts no new queries; those already sent still get their answers."""
    _require_police(actor)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.CLOSED:
        return case
    case.status = CaseStatus.CLOSED
    case.closed_by = actor
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_by", "closed_at"])
    event_record(actor=actor, action=ExchangeAction.CASE_CLOSED, target=case, case_id=str(case.pk))
    return case
