"""Sending again the push queries whose delivery went quiet, within seconds rather than minutes.

A worker killed mid-delivery leaves its message unacknowledged on the broker, which hands it
out again only after its visibility timeout (Redis: 30 s, and in practice up to ~100 s) or
when it notices the dead connection (RabbitMQ). Every attempt holds a short lease on its
query (`push`), so a lease that ran out on an open push query means nobody is working on it:
`redispatch_quiet_pushes` (Celery beat, every 2 s) sends it again.

Duplicates are safe (answers are idempotent by digest, partners answer per query id) and
kept rare: a redispatched message that finds a live attempt holding the lease sends nothing
and looks again when it runs out; a pending query (relayed, never picked up, as behind a long
queue) is sent again after a pause as long as it has already waited, so a backlog is not
multiplied; a quiet attempt's query is offered at every sweep until a message takes its lease.
An attempt's lease is given a `GRACE` past its end, for the answer being recorded or the retry
a busy worker starts a little late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from exchange.choices import QueryStatus
from exchange.models import Query
from partners.choices import Delivery

from .push import PICKUP_LEASE, push_query

logger = logging.getLogger(__name__)

BATCH = 200
GRACE = timedelta(seconds=1)


@dataclass(frozen=True)
class Redispatched:
    """What one sweep sent again: queries never picked up, and attempts gone quiet."""

    unclaimed: int
    quiet: int

    @property
    def total(self) -> int:
        return self.unclaimed + self.quiet


def _lapsed(now: datetime) -> QuerySet[Query]:
    """Open push queries, still within their deadline, whose lease ran out: a pending one's
    pickup lease, or an attempt's lease and its grace."""
    return Query.objects.filter(
        Q(status=QueryStatus.PENDING, lease_until__lt=now)
        | Q(status=QueryStatus.DISPATCHED, lease_until__lt=now - GRACE),
        partner__delivery=Delivery.PUSH,
        deadline__gt=now,
    )


def redispatch_quiet_pushes() -> Redispatched:
    """Send again, by id, up to `BATCH` open push queries whose lease ran out, oldest lease first."""
    now = timezone.now()
    lapsed = list(_lapsed(now).order_by("lease_until").values_list("pk", "status", "created_at")[:BATCH])
    unclaimed = quiet = 0
    for query_id, status, created_at in lapsed:
        if status == QueryStatus.PENDING:
            # Its next chance waits as long as it has already waited (at least a pickup lease):
            # a query queued behind a backlog is sent a few times at most, not every sweep.
            pause = max(PICKUP_LEASE, now - created_at)
            moved = (
                _lapsed(now).filter(pk=query_id, status=QueryStatus.PENDING).update(lease_until=now + pause)
            )
            if not moved:
                continue  # picked up or closed meanwhile
            unclaimed += 1
        else:
            quiet += 1  # the message that takes the lease ends the offers
        if not _send(str(query_id)):
            break
    result = Redispatched(unclaimed=unclaimed, quiet=quiet)
    if result.total:
        logger.warning(
            "Redispatched %d push queries (%d never picked up, %d whose attempt went quiet).",
            result.total,
            unclaimed,
            quiet,
        )
    return result


def _send(query_id: str) -> bool:
    """Publish one push; False when the broker refuses (the next sweep tries again)."""
    try:
        push_query.delay(query_id)
    except Exception as error:
        logger.warning("Could not redispatch query %s (%s).", query_id, type(error).__name__)
        return False
    return True
