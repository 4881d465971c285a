"""Recovery of deliveries that went quiet: the push leases and their redispatch, and the pull
leases an adapter renews.

A push attempt holds a short lease on its query; a lease that ran out on an open push query
means its worker died, and the sweep sends it again at once. Messages that cross a live
attempt step aside. Pull leases are short and renewed by the adapter for what it still holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone

from audit.choices import Outcome
from audit.models import AuditEvent
from exchange.choices import QueryStatus
from exchange.delivery import inbox, outbox, push, redispatch
from exchange.models import OutboxMessage, Query
from partners.identity import AdapterPrincipal
from tests import factories
from tests.clients import signed_world_client
from tests.exchange.conftest import ANSWER, submit

LEASES = "/api/v1/adapter/leases/"


class Sent:
    """Stands for `push_query`: records the ids it was asked to deliver."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def delay(self, query_id: str) -> None:
        self.ids.append(query_id)


@pytest.fixture
def sent(monkeypatch) -> Sent:
    recorder = Sent()
    monkeypatch.setattr(redispatch, "push_query", recorder)
    monkeypatch.setattr(outbox, "push_query", recorder)
    return recorder


@dataclass
class Webhook:
    """Platform Y's webhook: `reply` answers each request (202 unless a test says otherwise)."""

    reply: Callable[[httpx.Request], httpx.Response] = field(default=lambda request: httpx.Response(202))
    received: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return self.reply(request)

    def replies(self, status: int, **body: Any) -> None:
        self.reply = lambda request: httpx.Response(status, **body)


@pytest.fixture
def webhook(monkeypatch) -> Webhook:
    mock = Webhook()
    monkeypatch.setattr(push, "_webhooks", httpx.Client(transport=httpx.MockTransport(mock)))
    return mock


@pytest.fixture
def pushed(world) -> Query:
    """Unit B's lookup to push platform Y, committed with its outbox row, not yet relayed."""
    case = factories.case(world.officer_b, "B-0001")
    return factories.query(world.officer_b, case, world.platform_y, order_number="PY0000000001")


def lapse(query: Query, seconds: float = 5) -> None:
    Query.objects.filter(pk=query.pk).update(lease_until=timezone.now() - timedelta(seconds=seconds))


def stored(query: Query) -> Query:
    return Query.objects.get(pk=query.pk)


def test_relaying_gives_the_query_a_pickup_lease(world, pushed, sent):
    message = OutboxMessage.objects.get(query=pushed)
    before = timezone.now()
    outbox.relay_outbox_message(message.pk)
    assert sent.ids == [str(pushed.pk)]
    lease = stored(pushed).lease_until
    assert lease is not None and before + push.PICKUP_LEASE <= lease <= timezone.now() + push.PICKUP_LEASE


def test_an_attempt_takes_the_lease_for_its_timeout_and_a_202_holds_it_to_the_deadline(
    world, pushed, webhook
):
    Query.objects.filter(pk=pushed.pk).update(lease_until=timezone.now() + push.PICKUP_LEASE)
    assert push.push_attempt(
        str(pushed.pk), unless_held=True
    ).done  # pending: the relay's lease is no attempt's
    query = stored(pushed)
    assert (query.status, query.delivery_attempts, query.lease_until) == ("dispatched", 1, query.deadline)
    assert len(webhook.received) == 1


def test_a_message_crossing_a_live_attempt_sends_nothing_and_looks_again_when_the_lease_ends(
    world, pushed, webhook
):
    webhook.replies(503)
    before = timezone.now()
    outcome = push.push_attempt(str(pushed.pk), unless_held=True)
    assert not outcome.done and outcome.retry_in is not None
    lease = stored(pushed).lease_until
    assert lease is not None
    assert (
        before + timedelta(seconds=outcome.retry_in)
        <= lease
        <= timezone.now() + timedelta(seconds=outcome.retry_in)
    )
    crossed_at = timezone.now()
    crossing = push.push_attempt(str(pushed.pk), unless_held=True)  # a redelivery, during the wait
    assert not crossing.done and crossing.retry_in is not None
    assert crossing.retry_in <= max((lease - crossed_at).total_seconds(), 0) + push.LEASE_RECHECK_SECONDS
    assert len(webhook.received) == 1 and stored(pushed).delivery_attempts == 1
    lapse(pushed, seconds=0.01)  # the retry is due: the lease is free for it
    assert not push.push_attempt(str(pushed.pk), unless_held=True).done
    assert len(webhook.received) == 2


def test_a_message_crossing_a_lease_held_to_the_deadline_is_done(world, pushed, webhook):
    assert push.push_attempt(str(pushed.pk), unless_held=True).done  # 202: answered later
    assert push.push_attempt(str(pushed.pk), unless_held=True) == push.PushOutcome(done=True)
    assert len(webhook.received) == 1


def test_while_the_webhook_is_called_the_lease_covers_its_timeout(world, pushed, monkeypatch):
    seen: list[Any] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(stored(pushed).lease_until)
        return httpx.Response(200, json=ANSWER)

    monkeypatch.setattr(push, "_webhooks", httpx.Client(transport=httpx.MockTransport(reply)))
    before = timezone.now()
    assert push.push_attempt(str(pushed.pk)).done
    assert seen[0] >= before + push.ATTEMPT_LEASE
    query = stored(pushed)
    assert (query.status, query.lease_until) == ("answered", None)


def test_a_quiet_attempt_is_sent_again_until_a_message_takes_it(world, pushed, sent, webhook):
    webhook.replies(503)
    push.push_attempt(str(pushed.pk))  # then its worker dies holding the retry
    lapse(pushed, seconds=0.5)
    assert redispatch.redispatch_quiet_pushes().total == 0  # within the grace
    lapse(pushed)
    assert redispatch.redispatch_quiet_pushes() == redispatch.Redispatched(unclaimed=0, quiet=1)
    assert redispatch.redispatch_quiet_pushes().quiet == 1  # not taken yet: offered again
    assert sent.ids == [str(pushed.pk)] * 2
    webhook.replies(200, json=ANSWER)
    assert push.push_attempt(str(pushed.pk), unless_held=True).done  # the first to run takes it
    assert push.push_attempt(str(pushed.pk), unless_held=True).done  # the second finds it answered
    assert len(webhook.received) == 2
    assert stored(pushed).status == "answered"
    assert redispatch.redispatch_quiet_pushes().total == 0


def test_a_query_nobody_picked_up_is_sent_again_after_a_pause_as_long_as_its_wait(world, pushed, sent):
    Query.objects.filter(pk=pushed.pk).update(created_at=timezone.now() - timedelta(seconds=60))
    lapse(pushed)
    assert redispatch.redispatch_quiet_pushes() == redispatch.Redispatched(unclaimed=1, quiet=0)
    lease = stored(pushed).lease_until
    assert lease is not None and lease >= timezone.now() + timedelta(seconds=59)
    assert redispatch.redispatch_quiet_pushes().total == 0  # not again on the next sweep
    assert sent.ids == [str(pushed.pk)]


def test_held_closed_overdue_and_pull_queries_are_not_redispatched(world, pushed, sent, case_a):
    pulled = submit(world, case_a)
    lapse(pulled)
    Query.objects.filter(pk=pushed.pk).update(lease_until=timezone.now() + timedelta(seconds=5))
    assert redispatch.redispatch_quiet_pushes().total == 0
    Query.objects.filter(pk=pushed.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    lapse(pushed)
    assert redispatch.redispatch_quiet_pushes().total == 0
    Query.objects.filter(pk=pushed.pk).update(deadline=timezone.now() + timedelta(minutes=1))
    Query.objects.filter(pk=pushed.pk).update(status=QueryStatus.CANCELLED)
    assert redispatch.redispatch_quiet_pushes().total == 0
    assert sent.ids == []


def test_the_pull_lease_is_short(world, case_a):
    query = submit(world, case_a)
    before = timezone.now()
    (leased,) = inbox.inbox_lease(adapter=AdapterPrincipal(key=world.key_x.key), limit=10)
    assert leased.pk == query.pk
    lease = stored(query).lease_until
    assert lease is not None and lease <= before + timedelta(seconds=10) + timedelta(seconds=1)


def test_an_adapter_renews_the_leases_it_holds_and_only_those(world, case_a):
    held, lapsed, answered = (submit(world, case_a, order_number=f"PX2026112100000001{i}") for i in range(3))
    x = signed_world_client(world.key_x)
    assert len(x.get("/api/v1/adapter/inbox/", {"limit": "10"}).json()["results"]) == 3
    lapse(lapsed)
    assert x.post(f"/api/v1/adapter/queries/{answered.pk}/answer/", ANSWER, format="json").status_code == 200
    before = timezone.now()
    ids = [str(held.pk), str(lapsed.pk), str(answered.pk)]
    response = x.post(LEASES, {"queries": ids}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["renewed"], body["lease_seconds"]) == ([str(held.pk)], 10)
    lease = stored(held).lease_until
    assert lease is not None and lease >= before + inbox.LEASE
    lapsed_until = stored(lapsed).lease_until
    assert lapsed_until is not None and lapsed_until < timezone.now()  # may be another instance's by now
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() == 0  # its own queries: no denial


def test_another_partners_queries_are_not_renewed_and_the_attempt_is_audited(world, case_a):
    query = submit(world, case_a)
    signed_world_client(world.key_x).get("/api/v1/adapter/inbox/")
    lease = stored(query).lease_until
    missing = "00000000-0000-4000-8000-000000000000"
    response = signed_world_client(world.key_y).post(
        LEASES, {"queries": [str(query.pk), missing]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["renewed"] == []
    assert stored(query).lease_until == lease
    denials = AuditEvent.objects.filter(outcome=Outcome.DENIED)
    assert {(event.target_id, event.details["reason"]) for event in denials} == {
        ("", "missing"),
        (str(query.pk), "out_of_scope"),
    }


@pytest.mark.parametrize("body", [{}, {"queries": []}, {"queries": ["x"]}, {"queries": [None]}])
def test_a_malformed_renewal_is_refused(world, body):
    response = signed_world_client(world.key_x).post(LEASES, body, format="json")
    assert response.status_code == 400
