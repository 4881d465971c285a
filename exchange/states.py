"""A query's life as a state machine: which status may follow which, and the one way to move.

A query starts `pending`, or `awaiting_approval` when its kind needs a supervisor's
approval first. The gateway may refuse it before it leaves; delivery dispatches it; its
partner answers it (answered, not found, failed), or its deadline expires it; it may be
cancelled while it is open. The closed statuses are final: nothing moves a query out of
them, so a late answer cannot overwrite an expiry, nor an expiry an answer; the one
exception is `move_late`, for an instruction a bank received and acted on after its deadline.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from core.errors import Conflict

from .choices import ANSWER_STATUSES, QueryStatus
from .models import Query

_ENDINGS = frozenset({*ANSWER_STATUSES, QueryStatus.EXPIRED, QueryStatus.CANCELLED})

TRANSITIONS: dict[str, frozenset[str]] = {
    QueryStatus.AWAITING_APPROVAL: frozenset(
        {QueryStatus.PENDING, QueryStatus.REFUSED, QueryStatus.EXPIRED, QueryStatus.CANCELLED}
    ),
    QueryStatus.PENDING: frozenset({QueryStatus.DISPATCHED, QueryStatus.REFUSED, *_ENDINGS}),
    QueryStatus.DISPATCHED: _ENDINGS,
    **{status: frozenset() for status in (*_ENDINGS, QueryStatus.REFUSED)},
}
CLOSED_STATUSES = frozenset(status for status, after in TRANSITIONS.items() if not after)


class IllegalMove(Conflict):
    """A status change the table does not allow: the query's state forbids it."""

    code = "illegal_status_change"


def may_move(current: str, to: str) -> bool:
    return to in TRANSITIONS[current]


def move_late(query: Query, to: str, *, at: datetime | None = None) -> list[str]:
    """An expired query's answer, kept: only the answers service calls it, for a unit-signed
    instruction (a stop, a freeze) that was delivered, since the bank may act after the
    deadline and money it holds must not go unknown. The query stays closed (its
    `closed_at` is the expiry's); it gains its answer and the time it came."""
    if query.status != QueryStatus.EXPIRED or query.dispatched_at is None or to not in ANSWER_STATUSES:
        raise IllegalMove(f"A {query.status} query cannot take a late answer.")
    query.status, query.answered_at = to, at or timezone.now()
    return ["status", "answered_at"]


def move(query: Query, to: str, *, at: datetime | None = None) -> list[str]:
    """Move `query` to status `to`, with the times the move implies; the caller saves it.

    The caller holds the row (locked, or not yet stored). Returns the fields changed, for
    `save(update_fields=...)`; raises `IllegalMove` when `TRANSITIONS` does not allow it.
    """
    if not may_move(query.status, to):
        raise IllegalMove(f"A {query.status} query cannot become {to}.")
    at = at or timezone.now()
    query.status = to
    changed = ["status"]
    if to == QueryStatus.DISPATCHED:
        query.dispatched_at = at
        changed.append("dispatched_at")
    if to in ANSWER_STATUSES:
        query.answered_at = at
        changed.append("answered_at")
    if to in CLOSED_STATUSES:
        query.closed_at, query.lease_until = at, None
        changed += ["closed_at", "lease_until"]
    return changed
