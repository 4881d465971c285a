"""The end of retention: the personal values of cases closed longer than `AFX_RETENTION_DAYS`
(five years by default) are erased, while the audit log, which holds none, stays whole.

Erasing a case clears every encrypted value of its rows (its title; its queries' subjects,
other inputs, answers and partners' words; their findings; its traces' accounts; its holds):
a nullable value becomes NULL, the others the empty text, sealed like any value; their blind
indexes go with them, so the case is found by no search any more. Counts, statuses, times
and codes stay, so the figures and the case's history still add up. Each case is erased in
its own transaction with one audit event (`case_erased`, what was erased by row type, as
counts). The apps above (the watchlist) erase their own rows tied to erased cases when told
by `retention_swept`. A command (`manage.py cases_erase_expired`) and a daily task run it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import cast
from uuid import UUID

from django.conf import settings
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from audit.services import event_record
from core.actors import SystemActor
from privacy.fields import BlindIndexField, EncryptedTextField

from .audit_actions import ExchangeAction
from .choices import CaseStatus
from .models import Case, Finding, Hold, Query, TraceAccount

SYSTEM = SystemActor("retention")
# Sent once per sweep, after the cases are erased, with `now`: receivers erase their rows of
# erased cases and return how many, by row type.
retention_swept = Signal()


def retention_period() -> timedelta:
    return timedelta(days=settings.AFX_RETENTION_DAYS)


def cases_due(now: datetime | None = None) -> models.QuerySet[Case]:
    """Cases closed before the retention period began, not erased yet."""
    cutoff = (now or timezone.now()) - retention_period()
    return Case.objects.filter(status=CaseStatus.CLOSED, closed_at__lte=cutoff, erased_at__isnull=True)


def row_erase(row: models.Model) -> None:
    """Clear every encrypted value of `row`, its blind indexes (on save) and what its model
    derives from them (`erased_with_values`, such as an answer's keyed digest)."""
    changed = []
    for name in getattr(row, "erased_with_values", ()):
        setattr(row, name, "")
        changed.append(name)
    for field in row._meta.concrete_fields:
        if isinstance(field, EncryptedTextField):
            setattr(row, field.attname, None if field.null else "")
            changed.append(field.attname)
        elif isinstance(field, BlindIndexField):
            changed.append(field.attname)  # recomputed from the cleared source: none
    row.save(update_fields=changed)


def _rows_of(case: Case) -> Iterator[tuple[str, models.QuerySet[models.Model]]]:
    yield "case", Case.objects.filter(pk=case.pk)
    yield "query", Query.objects.filter(case_id=case.pk)
    yield "finding", Finding.objects.filter(case_id=case.pk)
    yield "trace_account", TraceAccount.objects.filter(trace__case_id=case.pk)
    yield "hold", Hold.objects.filter(case_id=case.pk)


def case_erase(case_id: UUID | str, *, now: datetime | None = None) -> dict[str, int] | None:
    """Erase one due case's personal values, audited; what was erased by row type, or None
    when the case is not due (or erased already, by another sweep)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = cases_due(now).select_for_update().filter(pk=case_id).first()
        if case is None:
            return None
        erased: dict[str, int] = {}
        for label, rows in _rows_of(case):
            count = 0
            for row in rows.order_by("pk"):
                row_erase(row)
                count += 1
            erased[label] = count
        Case.objects.filter(pk=case.pk).update(erased_at=now)
        event_record(
            actor=SYSTEM,
            action=ExchangeAction.CASE_ERASED,
            target=case,
            case_id=str(case.pk),
            details={"closed_at": case.closed_at.isoformat() if case.closed_at else "", "rows": erased},
        )
    return erased


def retention_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Erase every due case, then let the apps above erase their rows of erased cases; how
    many cases and rows of each type."""
    now = now or timezone.now()
    totals: dict[str, int] = {"cases": 0}
    for case_id in list(cases_due(now).order_by("closed_at").values_list("pk", flat=True)):
        erased = case_erase(case_id, now=now)
        if erased is not None:
            totals["cases"] += 1
            for label, count in erased.items():
                totals[label] = totals.get(label, 0) + count
    for _receiver, response in retention_swept.send(sender=Case, now=now):
        counts = cast(dict[str, int], response or {})
        for label, count in counts.items():
            totals[label] = totals.get(label, 0) + count
    return totals
