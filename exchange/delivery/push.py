"""Pushing a query to a partner's webhook: signed, retried with backoff, answered or failed.

`push_query` POSTs the query, signed with the gateway's own key (RFC 9421), to the webhook,
retrying with capped exponential backoff and jitter until the deadline. A webhook may
answer at once (200 with the answer) or later through the API (202).

Each attempt holds a short lease on the query (`Query.lease_until`): the push timeout while
the webhook is called, until the retry is due while one waits, until the deadline once the
partner said it answers later (202). A lease that ran out means the attempt went quiet (its
worker was killed, with the message still unacknowledged on the broker), and
`exchange.delivery.redispatch` sends the query again within seconds instead of waiting for the
broker's redelivery. A message that finds the lease held waits until it runs out and looks
again (a Celery retry), so a redispatch or a redelivery that crossed a live attempt costs a
read, not a second call to the partner, and is not dropped should that attempt die.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import DateTimeField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from afx_sdk import signing
from audit.services import event_record
from core.actors import SystemActor
from core.errors import Conflict, Invalid
from exchange import states
from exchange.audit_actions import ExchangeAction
from exchange.choices import OPEN_QUERY_STATUSES, QueryStatus
from exchange.models import Query
from exchange.push_key import push_key_id, push_signing_key
from exchange.services.answers import QueryClosed, answer_record
from exchange.traces.progress import query_closed
from exchange.wire import query_to_wire
from partners.identity import AdapterPrincipal

logger = logging.getLogger(__name__)

PUSH_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
# One client per worker process: it keeps connections to webhooks open between pushes,
# where a client per request would pay a new connection (and ~20 ms) every time.
_webhooks = httpx.Client(timeout=PUSH_TIMEOUT)
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
# How long an attempt may take (connect, then read): past that, nobody is working on it any
# more (the redispatch sweep allows a grace for recording the answer, `redispatch.GRACE`).
ATTEMPT_LEASE = timedelta(seconds=(PUSH_TIMEOUT.connect or 2.0) + (PUSH_TIMEOUT.read or 5.0))
# A relayed query waits on the broker for a worker: one not picked up by then is sent again.
PICKUP_LEASE = timedelta(seconds=10)
# A message that met a held lease looks again this long after the lease's end.
LEASE_RECHECK_SECONDS = 0.2
DATABASE_RETRY_SECONDS = 1.0
SYSTEM = SystemActor("delivery")


@shared_task(
    bind=True, name="gateway.push_query", acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def push_query(self: Any, query_id: str) -> None:
    """Deliver one query to a push partner; retried with jittered backoff until its deadline.

    Late acknowledgement: a worker killed mid-delivery leaves the message on the broker, and
    the next worker delivers again. Partners answer idempotently per query id, and the
    gateway ignores an identical second answer. The message carries the query id only,
    never personal data. A message that finds the query's lease held (a redispatch or a
    redelivery that crossed a live attempt) is retried when the lease runs out: if the attempt
    died meanwhile, it delivers; a retry is due when its lease ends, so it finds it free.
    """
    try:
        outcome = push_attempt(query_id, unless_held=True)
    except (OperationalError, InterfaceError) as lost:
        # The database went away (a restart): look again in a moment rather than leave the
        # query to the redispatch sweep, which would wait out the attempt's lease first.
        raise self.retry(countdown=DATABASE_RETRY_SECONDS, exc=lost) from lost
    if not outcome.done:
        raise self.retry(countdown=outcome.retry_in)


def backoff_seconds(attempt: int) -> float:
    """Capped exponential backoff with full jitter, so retries of many queries spread out."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311


@dataclass(frozen=True)
class PushOutcome:
    """What one delivery attempt achieved; `retry_in` is set when it should be tried again."""

    done: bool
    retry_in: float | None = None


def push_attempt(query_id: str, *, unless_held: bool = False) -> PushOutcome:
    """POST the query to its partner's webhook once, and act on the reply.

    `unless_held`: while the query's lease is held (by an attempt, a retry's wait, a partner
    that answers later), send nothing and say when to look again (`retry_in`), or that there
    is nothing to do when it is held to the deadline; without it the attempt takes the lease
    whoever held it (tests calling attempts one after the other).
    """
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
    claim = _claim(query, unless_held=unless_held)
    if claim.held_until is not None:
        return _look_again_after(query, claim.held_until)
    attempt = claim.attempt
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
    replied_at = timezone.now()
    if response.status_code == 200:
        _record_pushed_answer(query, AdapterPrincipal(key=key), response, delivered_at=replied_at)
        return PushOutcome(done=True)
    if response.status_code == 202:
        # The partner answers later: nothing to send again.
        _hold(query, until=query.deadline, delivered_at=replied_at)
        return PushOutcome(done=True)
    if response.status_code >= 500 or response.status_code == 429:
        return _retry_or_give_up(query, attempt, f"webhook_error_{response.status_code}")
    _fail(query, f"partner_rejected_{response.status_code}")
    return PushOutcome(done=True)


def _record_pushed_answer(
    query: Query, adapter: AdapterPrincipal, response: httpx.Response, *, delivered_at: datetime
) -> None:
    """The webhook's synchronous answer, recorded as the partner's adapter; a malformed one
    fails the query at once rather than leaving it to expire. The moment the webhook replied
    (`Query.delivered_at`) is written in the answer's transaction: one commit, not two."""
    with transaction.atomic():
        # The first reply is the delivery: a second attempt's keeps the first's moment.
        Query.objects.filter(pk=query.pk, delivered_at__isnull=True).update(delivered_at=delivered_at)
        try:
            answer_record(actor=adapter, query_id=query.pk, payload=response.json())
        except (ValueError, Invalid):
            _fail(query, "invalid_answer")
        except (QueryClosed, Conflict):
            pass  # closed or answered meanwhile; a conflict is already recorded


@dataclass(frozen=True)
class _Claim:
    """The attempt's number once it holds the lease; or, the lease being another's, its end;
    neither when the query was answered or closed while this delivery waited."""

    attempt: int | None = None
    held_until: datetime | None = None


def _claim(query: Query, *, unless_held: bool) -> _Claim:
    """Count the attempt, take the lease for it and mark the query dispatched (audited the
    first time). `unless_held`, a lease held by someone else is left alone. A pending query's
    lease is the relay's (waiting to be picked up), never an attempt's: its first attempt takes it."""
    with transaction.atomic():
        locked = Query.objects.select_for_update().filter(pk=query.pk, status__in=OPEN_QUERY_STATUSES).first()
        if locked is None:
            return _Claim()
        now = timezone.now()
        held = locked.lease_until is not None and locked.lease_until > now
        if unless_held and held and locked.status != QueryStatus.PENDING:
            return _Claim(held_until=locked.lease_until)
        locked.delivery_attempts += 1
        locked.lease_until = now + ATTEMPT_LEASE
        fields = ["delivery_attempts", "lease_until"]
        if locked.status == QueryStatus.PENDING:
            fields += states.move(locked, QueryStatus.DISPATCHED)
            event_record(
                actor=SYSTEM,
                action=ExchangeAction.QUERY_DISPATCHED,
                target=locked,
                case_id=str(locked.case_id),
                details={"partner": query.partner.code, "delivery": "push"},
            )
        locked.save(update_fields=fields)
        return _Claim(attempt=locked.delivery_attempts)


def _look_again_after(query: Query, held_until: datetime) -> PushOutcome:
    """Another attempt holds the lease: look again once it ends (its holder may die), unless it
    is held to the deadline (a partner answering later, a backoff that gave up)."""
    if held_until >= query.deadline:
        return PushOutcome(done=True)
    logger.info("Query %s is held by another delivery attempt; this message looks again later.", query.pk)
    wait = (held_until - timezone.now()).total_seconds() + LEASE_RECHECK_SECONDS
    return PushOutcome(done=False, retry_in=max(wait, LEASE_RECHECK_SECONDS))


def _hold(query: Query, *, until: datetime, delivered_at: datetime) -> None:
    """Move the query's lease on to `until`: no redispatch before then; the partner has it
    (`delivered_at`, kept from its first reply)."""
    first = Coalesce("delivered_at", Value(delivered_at, output_field=DateTimeField()))
    Query.objects.filter(pk=query.pk, status__in=OPEN_QUERY_STATUSES).update(
        lease_until=until, delivered_at=first
    )


def _retry_or_give_up(query: Query, attempt: int, problem: str) -> PushOutcome:
    """Retry after a jittered backoff while the deadline allows; the problem is kept as the
    query's reason, so an expiry says why. The lease lasts until the retry is due: a retry
    lost with its worker is sent again soon after it was due."""
    delay = backoff_seconds(attempt)
    due = timezone.now() + timedelta(seconds=delay)
    if due >= query.deadline:
        # No time left: the sweeper expires it with its reason; held to the deadline, so no
        # redispatch tries again what the backoff gave up.
        Query.objects.filter(pk=query.pk, status__in=OPEN_QUERY_STATUSES).update(
            reason=problem, lease_until=query.deadline
        )
        return PushOutcome(done=True)
    Query.objects.filter(pk=query.pk, status__in=OPEN_QUERY_STATUSES).update(reason=problem, lease_until=due)
    return PushOutcome(done=False, retry_in=delay)


@transaction.atomic
def _fail(query: Query, reason: str) -> None:
    locked = Query.objects.select_for_update().filter(pk=query.pk, status__in=OPEN_QUERY_STATUSES).first()
    if locked is not None:
        locked.reason = reason
        locked.save(update_fields=["reason", *states.move(locked, QueryStatus.FAILED)])
        event_record(
            actor=SYSTEM,
            action=ExchangeAction.QUERY_FAILED,
            target=query,
            case_id=str(query.case_id),
            details={"reason": reason},
        )
        query_closed(locked)
