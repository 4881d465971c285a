"""The inbox of pull partners: their adapter leases open queries for a while.

An unanswered lease runs out and the query is offered again; the deadline still closes it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.services import event_record
from exchange.audit_actions import ExchangeAction
from exchange.choices import OPEN_QUERY_STATUSES, QueryStatus
from exchange.models import Query

LEASE = timedelta(seconds=30)


def _leasable(partner_id: int, now: Any) -> Any:
    return Query.objects.filter(
        partner_id=partner_id, status__in=OPEN_QUERY_STATUSES, deadline__gt=now
    ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))


def inbox_lease(*, adapter: Any, limit: int) -> list[Query]:
    """Lease up to `limit` open queries of the adapter's partner, oldest first, for `LEASE`.

    A plain read first: long polls ask many times a second, and most of the time there is
    nothing, so no write transaction is opened for nothing.
    """
    now = timezone.now()
    if not _leasable(adapter.partner.pk, now).exists():
        return []
    with transaction.atomic():
        candidates = (
            _leasable(adapter.partner.pk, now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("partner", "case")
            .order_by("created_at")[:limit]
        )
        leased = list(candidates)
        for query in leased:
            first = query.status == QueryStatus.PENDING
            Query.objects.filter(pk=query.pk).update(
                lease_until=now + LEASE,
                status=QueryStatus.DISPATCHED,
                dispatched_at=query.dispatched_at or now,
                delivery_attempts=F("delivery_attempts") + 1,
            )
            if first:
                event_record(
                    actor=adapter,
                    action=ExchangeAction.QUERY_DISPATCHED,
                    target=query,
                    case_id=str(query.case_id),
                    details={"partner": adapter.partner.code, "delivery": "pull"},
                )
    return leased
