"""Getting queries to partners and closing the ones nobody answers.

Push partners: the outbox row is relayed to Celery after commit; `push_query` POSTs the
query, signed with the gateway's own key (RFC 9421), to the webhook, retrying with capped
exponential backoff and jitter until the deadline. Pull partners: their adapter leases
queries from the inbox for a while; an unanswered lease runs out and the query is offered
again. Whatever the path, a query past
its deadline is closed as `expired` with a reason: nothing stays pending silently.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework import serializers

from afx_sdk import signing
from api.exceptions import Conflict, Invalid
from audit.choices import AuditAction
from audit.services import event_record
from gateway.choices import OPEN_QUERY_STATUSES, QueryStatus
from gateway.models import OutboxMessage, Query
from gateway.push_key import push_key_id, push_signing_key
from gateway.wire import query_to_wire
from partners.identity import AdapterPrincipal

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
PUSH_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
# One client per worker process: it keeps connections to webhooks open between pushes,
# where a client per request would pay a new connection (and ~20 ms) every time.
_webhooks = httpx.Client(timeout=PUSH_TIMEOUT)
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
UNRELAYED_GRACE = timedelta(seconds=5)
SYSTEM = "system:delivery"


def relay_outbox_message(message_id: int) -> None:
    """Hand one outbox row to Celery and mark it relayed; the sweeper retries if this fails."""
    from gateway.tasks import push_query

    message = OutboxMessage.objects.filter(pk=message_id, relayed_at__isnull=True).first()
    if message is None:
        return
    OutboxMessage.objects.filter(pk=message_id).update(relay_attempts=F("relay_attempts") + 1)
    try:
        push_query.delay(str(message.query_id))
    except Exception as error:
        logger.warning(
            "Could not relay outbox message %s (%s); the sweeper will retry", message_id, type(error).__name__
        )
        return
    OutboxMessage.objects.filter(pk=message_id).update(relayed_at=timezone.now())


def relay_stale_outbox() -> int:
    """Relay outbox rows left unrelayed by a crash between commit and publish."""
    stale = OutboxMessage.objects.filter(
        relayed_at__isnull=True, created_at__lt=timezone.now() - UNRELAYED_GRACE
    )
    ids = list(stale.values_list("pk", flat=True)[:500])
    for message_id in ids:
        relay_outbox_message(message_id)
    return len(ids)


def backoff_seconds(attempt: int) -> float:
    """Capped exponential backoff with full jitter, so retries of many queries spread out."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311


@dataclass(frozen=True)
class PushOutcome:
    """What one delivery attempt achieved; `retry_in` is set when it should be tried again."""

    done: bool
    retry_in: float | None = None


def push_attempt(query_id: str) -> PushOutcome:
    """POST the query to its partner's webhook once, and act on the reply."""
    query = Query.objects.select_related("partner", "case").filter(pk=query_id).first()
    if query is None or query.status not in OPEN_QUERY_STATUSES:
        return PushOutcome(done=True)
    now = timezone.now()
    if query.deadline <= now:
        return PushOutcome(done=True)  # the expiry sweeper closes it with its reason
    if not query.partner.is_active:
        _fail(query, "partner_suspended")  # suspension stops pushes already queued too
        return PushOutcome(done=True)
    key = query.partner.adapter_keys.active().order_by("-created_at").first()
    if key is None:
        _fail(query, "partner_has_no_active_key")
        return PushOutcome(done=True)
    attempt = _mark_attempt(query)
    if attempt is None:
        return PushOutcome(done=True)  # answered or closed meanwhile
    body = json.dumps(query_to_wire(query)).encode()
    # Signed with the gateway's own key (never a partner's), tagged as a push: the receiver
    # verifies it with the published public key, and no adapter request passes for one.
    headers = signing.signed_headers(
        key_id=push_key_id(),
        private_key=push_signing_key(),
        method="POST",
        url=str(httpx.URL(query.partner.webhook_url)),
        body=body,
        tag=signing.PUSH_TAG,
    )
    remaining = (query.deadline - now).total_seconds()
    try:
        response = _webhooks.post(
            query.partner.webhook_url,
            content=body,
            headers={**headers, "Content-Type": "application/json"},
            timeout=httpx.Timeout(min(PUSH_TIMEOUT.read or 5.0, remaining), connect=2.0),
        )
    except httpx.HTTPError as error:
        logger.warning("Push of query %s failed: %s", query_id, type(error).__name__)
        return _retry_or_give_up(query, attempt, "webhook_unreachable")
    if response.status_code == 200:
        _record_pushed_answer(query, AdapterPrincipal(key=key), response)
        return PushOutcome(done=True)
    if response.status_code == 202:
        return PushOutcome(done=True)
    if response.status_code >= 500 or response.status_code == 429:
        return _retry_or_give_up(query, attempt, f"webhook_error_{response.status_code}")
    _fail(query, f"partner_rejected_{response.status_code}")
    return PushOutcome(done=True)


def _record_pushed_answer(query: Query, adapter: AdapterPrincipal, response: httpx.Response) -> None:
    """The webhook's synchronous answer, recorded as the partner's adapter; a malformed one
    fails the query at once rather than leaving it to expire."""
    from gateway.services.answers import QueryClosed, answer_record

    try:
        answer_record(actor=adapter, query=query, payload=response.json())
    except (ValueError, Invalid, serializers.ValidationError):
        _fail(query, "invalid_answer")
    except (QueryClosed, Conflict):
        pass  # closed or answered meanwhile; a conflict is already recorded


def _mark_attempt(query: Query) -> int | None:
    """Count the attempt and mark the query dispatched (audited the first time); None when the
    query was answered or closed while this delivery waited."""
    with transaction.atomic():
        locked = Query.objects.select_for_update().filter(pk=query.pk, status__in=OPEN_QUERY_STATUSES).first()
        if locked is None:
            return None
        locked.delivery_attempts += 1
        fields = ["delivery_attempts"]
        if locked.status == QueryStatus.PENDING:
            locked.status = QueryStatus.DISPATCHED
            locked.dispatched_at = timezone.now()
            fields += ["status", "dispatched_at"]
            event_record(
                actor=SYSTEM,
                action=AuditAction.QUERY_DISPATCHED,
                target=locked,
                case_id=str(locked.case_id),
                details={"partner": query.partner.code, "delivery": "push"},
            )
        locked.save(update_fields=fields)
        return locked.delivery_attempts


def _retry_or_give_up(query: Query, attempt: int, problem: str) -> PushOutcome:
    """Retry after a jittered backoff while the deadline allows; the problem is kept as the
    query's reason, so an expiry says why."""
    Query.objects.filter(pk=query.pk, status__in=OPEN_QUERY_STATUSES).update(reason=problem)
    delay = backoff_seconds(attempt)
    if timezone.now() + timedelta(seconds=delay) >= query.deadline:
        return PushOutcome(done=True)  # no time left: the sweeper expires it with its reason
    return PushOutcome(done=False, retry_in=delay)


@transaction.atomic
def _fail(query: Query, reason: str) -> None:
    updated = Query.objects.filter(pk=query.pk, status__in=OPEN_QUERY_STATUSES).update(
        status=QueryStatus.FAILED, reason=reason, closed_at=timezone.now()
    )
    if updated:
        event_record(
            actor=SYSTEM,
            action=AuditAction.QUERY_FAILED,
            target=query,
            case_id=str(query.case_id),
            details={"reason": reason},
        )


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
                    action=AuditAction.QUERY_DISPATCHED,
                    target=query,
                    case_id=str(query.case_id),
                    details={"partner": adapter.partner.code, "delivery": "pull"},
                )
    return leased


def expire_overdue_queries() -> int:
    """Close every open query past its deadline as `expired`, saying why."""
    now = timezone.now()
    expired = 0
    overdue = Query.objects.filter(status__in=OPEN_QUERY_STATUSES, deadline__lte=now).values_list(
        "pk", flat=True
    )
    for query_id in list(overdue[:1000]):
        with transaction.atomic():
            query = (
                Query.objects.select_for_update().filter(pk=query_id, status__in=OPEN_QUERY_STATUSES).first()
            )
            if query is None:
                continue
            query.reason = _expiry_reason(query)
            query.status = QueryStatus.EXPIRED
            query.closed_at = now
            query.lease_until = None
            query.save(update_fields=["status", "reason", "closed_at", "lease_until"])
            event_record(
                actor=SYSTEM,
                action=AuditAction.QUERY_EXPIRED,
                target=query,
                case_id=str(query.case_id),
                details={"reason": query.reason, "attempts": query.delivery_attempts},
            )
            expired += 1
    return expired


def _expiry_reason(query: Query) -> str:
    if query.delivery_attempts == 0:
        return "never_delivered"
    return query.reason or "no_answer_before_deadline"  # e.g. webhook_unreachable
