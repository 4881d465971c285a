"""The inbox of pull partners: their adapter leases open queries for a while.

An unanswered lease runs out and the query is offered again; the deadline still closes it.
What an inbox holds is what its caller may answer (`QueryQuerySet.restrict`, `ANSWER`):
the open queries addressed to the adapter's partner, and nothing for anybody else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.services import event_record
from core.actors import Actor
from exchange import states
from exchange.audit_actions import ExchangeAction
from exchange.choices import OPEN_QUERY_STATUSES, QueryStatus
from exchange.models import Query
from exchange.querysets import ANSWER

LEASE = timedelta(seconds=30)


def _leasable(adapter: Actor, now: datetime) -> QuerySet[Query]:
    return (
        Query.objects.restrict(adapter, ANSWER)
        .filter(status__in=OPEN_QUERY_STATUSES, deadline__gt=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    )


def inbox_lease(*, adapter: Actor, limit: int) -> list[Query]:
    """Lease up to `limit` open queries of the adapter's partner, oldest first, for `LEASE`.

    A plain read first: long polls ask many times a second, and most of the time there is
    nothing, so no write transaction is opened for nothing.
    """
    now = timezone.now()
    if not _leasable(adapter, now).exists():
        return []
    with transaction.atomic():
        candidates = (
            _leasable(adapter, now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("partner", "case")
            .order_by("created_at")[:limit]
        )
        leased = list(candidates)
        for query in leased:
            first = query.status == QueryStatus.PENDING
            changed = states.move(query, QueryStatus.DISPATCHED, at=now) if first else []
            query.lease_until = now + LEASE
            query.delivery_attempts += 1  # the row is locked: no other lease counts meanwhile
            query.save(update_fields=[*changed, "lease_until", "delivery_attempts"])
            if first:
                event_record(
                    actor=adapter,
                    action=ExchangeAction.QUERY_DISPATCHED,
                    target=query,
                    case_id=str(query.case_id),
                    details={"partner": adapter.partner.code, "delivery": "pull"},
                )
    return leased
