"""Opening and closing cases: police of a unit, for their own unit only."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import event_record
from core.actors import Actor
from core.errors import Conflict
from exchange.access import access_case_by_id, acting_person, police_only
from exchange.audit_actions import ExchangeAction
from exchange.choices import CaseStatus
from exchange.models import Case
from exchange.querysets import CHANGE


def case_open(
    *, actor: Actor, number: str, title: str, fraud_type: str, legal_basis: str, victim_loss: Decimal
) -> Case:
    """Open a case of the actor's unit; its number is unique within the unit."""
    police_only(actor, "Only police officers and supervisors work on cases.")
    case = Case(
        unit=actor.partner,
        number=number,
        title=title,
        fraud_type=fraud_type,
        legal_basis=legal_basis,
        victim_loss=victim_loss,
        opened_by=acting_person(actor),
    )
    with transaction.atomic():
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


def case_close(*, actor: Actor, case_id: UUID | str) -> Case:
    """Close a case of the actor's unit: it accepts no new queries; those already sent still
    get their answers. Closing a closed case changes nothing."""
    reached = access_case_by_id(actor, case_id, CHANGE)
    with transaction.atomic():
        case: Case = Case.objects.select_for_update().get(pk=reached.pk)
        if case.status == CaseStatus.CLOSED:
            return case
        case.status = CaseStatus.CLOSED
        case.closed_by = acting_person(actor)
        case.closed_at = timezone.now()
        case.save(update_fields=["status", "closed_by", "closed_at"])
        event_record(actor=actor, action=ExchangeAction.CASE_CLOSED, target=case, case_id=str(case.pk))
    return case
