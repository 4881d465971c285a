"""Whether a trace is still running: it is while any of its queries is open.

Apart from the engine, which sends queries, so that whatever closes a query (an answer of any
kind, a failed push, an expiry, a rejection or a cancellation) can settle its trace without
importing the submission path.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from exchange.choices import OPEN_QUERY_STATUSES, QueryStatus
from exchange.models import Query, Trace

# Open, for a trace: on the way to a bank, with it, or waiting for a supervisor to let it go.
OUTSTANDING_STATUSES = frozenset({*OPEN_QUERY_STATUSES, QueryStatus.AWAITING_APPROVAL})


def outstanding(trace_id: Any) -> int:
    """How many of the trace's queries are still open."""
    return int(Query.objects.filter(trace_id=trace_id, status__in=OUTSTANDING_STATUSES).count())


def query_closed(query: Query) -> None:
    """Settle the trace of a query that has just closed (answered, failed, expired, refused,
    cancelled), if it belongs to one."""
    if query.trace_id is not None:
        trace_settle(query.trace_id)


def trace_settle(trace_id: Any) -> None:
    """Mark the trace finished once none of its queries is open any more (once): after each
    answer of one of its queries, and when it is read (a query may close by expiring)."""
    if not outstanding(trace_id):
        Trace.objects.filter(pk=trace_id, finished_at__isnull=True).update(finished_at=timezone.now())
