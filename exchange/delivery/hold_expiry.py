"""The clock of holds: a warning six hours before a hold ends, and its end.

A stop-payment lasts 48 hours from the bank's stop unless a freeze replaces it; a freeze
lasts its period unless renewed or released. Six hours before its end an active hold is
marked `warned_at` and `hold_expiring` is recorded against its case (what the unit's pages
and notifications show); at its end it becomes `expired`, ended at its expiry time, with
`hold_expired`. Each sweep works in batches over the (status, expires_at) index and
re-reads each hold locked, so a sweep run twice, or two at once, changes each hold once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import event_record
from exchange.audit_actions import ExchangeAction
from exchange.choices import HoldStatus
from exchange.holds import SYSTEM
from exchange.models import Hold

WARNING_BEFORE = timedelta(hours=6)
BATCH = 500


@dataclass(frozen=True)
class SweepResult:
    warned: int
    expired: int


def _due_for_warning(now: datetime) -> QuerySet[Hold]:
    return Hold.objects.filter(
        status=HoldStatus.ACTIVE,
        expires_at__gt=now,
        expires_at__lte=now + WARNING_BEFORE,
        warned_at__isnull=True,
    )


def _due_for_expiry(now: datetime) -> QuerySet[Hold]:
    return Hold.objects.filter(status=HoldStatus.ACTIVE, expires_at__lte=now)


def _changed(hold_id: UUID, due: QuerySet[Hold], action: str, now: datetime) -> bool:
    """Apply `action` to one hold if, locked, it is still due; whether it was."""
    with transaction.atomic():
        hold = due.select_for_update().filter(pk=hold_id).first()
        if hold is None:
            return False
        if action == ExchangeAction.HOLD_EXPIRED:
            hold.status, hold.ended_at = HoldStatus.EXPIRED, hold.expires_at
            hold.save(update_fields=["status", "ended_at"])
        else:
            hold.warned_at = now
            hold.save(update_fields=["warned_at"])
        event_record(
            actor=SYSTEM,
            action=action,
            target=hold,
            case_id=str(hold.case_id),
            details={"hold": str(hold.pk), "kind": hold.kind, "expires_at": hold.expires_at.isoformat()},
        )
        return True


def _sweep(due: QuerySet[Hold], action: str, now: datetime) -> int:
    count = 0
    while ids := list(due.order_by("expires_at").values_list("pk", flat=True)[:BATCH]):
        changed = sum(_changed(hold_id, due, action, now) for hold_id in ids)
        count += changed
        if changed == 0:
            break  # every one was changed by another sweep meanwhile: the next run sees the rest
    return count


def holds_sweep(now: datetime | None = None) -> SweepResult:
    """Expire the holds past their end, then warn those ending within six hours. `now` is the
    clock (tests move it instead of waiting)."""
    now = now or timezone.now()
    expired = _sweep(_due_for_expiry(now), ExchangeAction.HOLD_EXPIRED, now)
    warned = _sweep(_due_for_warning(now), ExchangeAction.HOLD_EXPIRING, now)
    return SweepResult(warned=warned, expired=expired)
