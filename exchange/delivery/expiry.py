"""Closing the queries nobody answered: past its deadline, a query is `expired`, with a reason.

Whatever the path (push or pull), nothing stays pending silently.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.services import event_record
from exchange import states
from exchange.audit_actions import ExchangeAction
from exchange.choices import OPEN_QUERY_STATUSES, QueryStatus
from exchange.models import Query
from exchange.traces.progress import query_closed

from .push import SYSTEM

# Open, or still waiting for a supervisor: a query nobody approved in time expires too.
EXPIRABLE = OPEN_QUERY_STATUSES | {QueryStatus.AWAITING_APPROVAL}


def expire_overdue_queries() -> int:
    """Close every open or unapproved query past its deadline as `expired`, saying why."""
    now = timezone.now()
    expired = 0
    overdue = Query.objects.filter(status__in=EXPIRABLE, deadline__lte=now).values_list("pk", flat=True)
    for query_id in list(overdue[:1000]):
        with transaction.atomic():
            query = Query.objects.select_for_update().filter(pk=query_id, status__in=EXPIRABLE).first()
            if query is None:
                continue
            query.reason = _expiry_reason(query)
            query.save(update_fields=["reason", *states.move(query, QueryStatus.EXPIRED, at=now)])
            event_record(
                actor=SYSTEM,
                action=ExchangeAction.QUERY_EXPIRED,
                target=query,
                case_id=str(query.case_id),
                details={"reason": query.reason, "attempts": query.delivery_attempts},
            )
            query_closed(query)
            expired += 1
    return expired


def _expiry_reason(query: Query) -> str:
    if query.status == QueryStatus.AWAITING_APPROVAL:
        return "not_approved"
    if query.delivery_attempts == 0:
        return "never_delivered"
    return query.reason or "no_answer_before_deadline"  # e.g. webhook_unreachable
