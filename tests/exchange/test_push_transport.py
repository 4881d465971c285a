"""The push path over a mock transport: each webhook reply (an answer, an acceptance, an error,
silence, garbage) leads to the outcome partners and officers see, without a network or a worker.

`exchange.delivery.push._webhooks` is swapped for an `httpx.Client` over `httpx.MockTransport`,
so everything above the socket runs as in production: the signature, the timeout, the reply's
handling, the backoff. Outcomes are read as an officer reads them (`GET /queries/{id}/`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

import httpx
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from afx_sdk import signing
from exchange.delivery import push
from partners.choices import PartnerStatus
from partners.models import AdapterKey, Partner
from tests.clients import token_client
from tests.exchange.conftest import ANSWER

ORDER = "PY20261121000000042"
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Webhook:
    """Platform Y's webhook as the gateway meets it: `reply` answers each request it receives."""

    reply: Handler = field(default=lambda request: httpx.Response(202))
    received: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return self.reply(request)


@pytest.fixture
def webhook(monkeypatch) -> Webhook:
    mock = Webhook()
    client = httpx.Client(transport=httpx.MockTransport(mock), timeout=push.PUSH_TIMEOUT)
    monkeypatch.setattr(push, "_webhooks", client)
    return mock


@pytest.fixture
def officer(world) -> APIClient:
    return token_client(world.officer_b)


def submit(officer: APIClient, world, deadline_seconds: int = 3600) -> str:
    """Unit B asks push platform Y about an order, through the API; the query's id."""
    case = officer.post(
        "/api/v1/cases/",
        {
            "number": "B-PUSH-1",
            "title": "Refund scam",
            "fraud_type": "online_shopping",
            "legal_basis": "Art. 31",
            "victim_loss": "100.00",
        },
        format="json",
    )
    assert case.status_code == 201, case.content[:300]
    query = officer.post(
        "/api/v1/queries/",
        {
            "case": case.json()["id"],
            "kind": "order_lookup",
            "partner": world.platform_y.code,
            "input": {"order_number": ORDER},
            "deadline_seconds": deadline_seconds,
        },
        format="json",
    )
    assert query.status_code == 202, query.content[:300]
    return str(query.json()["id"])


def seen(officer: APIClient, query_id: str) -> dict:
    response = officer.get(f"/api/v1/queries/{query_id}/")
    assert response.status_code == 200, response.content[:300]
    return dict(response.json())


def answering(status: int, **reply) -> Handler:
    return lambda request: httpx.Response(status, **reply)


def failing(error: type[httpx.TransportError]) -> Handler:
    def reply(request: httpx.Request) -> httpx.Response:
        raise error("no answer from the webhook", request=request)

    return reply


def test_an_answer_in_the_reply_is_recorded(world, officer, webhook):
    webhook.reply = answering(200, json=ANSWER)
    query_id = submit(officer, world)
    assert push.push_attempt(query_id) == push.PushOutcome(done=True)
    answered = cast(dict[str, str], ANSWER["result"])
    query = seen(officer, query_id)
    assert query["status"] == "answered"
    assert query["result"]["bank"] == answered["bank"]
    account = query["result"]["account_number"]
    assert "*" in account and account != answered["account_number"]  # shown masked
    assert len(webhook.received) == 1


def test_an_accepted_push_stays_dispatched_for_the_answer_to_come(world, officer, webhook):
    query_id = submit(officer, world)
    assert push.push_attempt(query_id) == push.PushOutcome(done=True)
    query = seen(officer, query_id)
    assert (query["status"], query["reason"], query["result"]) == ("dispatched", "", None)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_a_server_error_or_throttling_is_retried_with_capped_jittered_backoff(
    world, officer, webhook, status
):
    webhook.reply = answering(status)
    query_id = submit(officer, world)
    below_ceiling = []
    for attempt in range(1, 8):  # far enough for the cap: 0.5 s * 2**5 is past 8 s
        outcome = push.push_attempt(query_id)
        assert not outcome.done
        assert outcome.retry_in is not None
        ceiling = min(push.BACKOFF_CAP_SECONDS, push.BACKOFF_BASE_SECONDS * 2**attempt)
        assert 0 <= outcome.retry_in <= ceiling, (attempt, outcome.retry_in)
        below_ceiling.append(outcome.retry_in < ceiling)
    assert any(below_ceiling)  # jittered anywhere below the ceiling, not a fixed schedule
    assert len(webhook.received) == 7
    query = seen(officer, query_id)
    assert (query["status"], query["reason"]) == ("dispatched", f"webhook_error_{status}")


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ReadTimeout, httpx.ConnectTimeout])
def test_an_unreachable_or_silent_webhook_is_retried(world, officer, webhook, error):
    webhook.reply = failing(error)
    query_id = submit(officer, world)
    outcome = push.push_attempt(query_id)
    assert not outcome.done
    assert outcome.retry_in is not None
    assert 0 <= outcome.retry_in <= push.BACKOFF_BASE_SECONDS * 2
    query = seen(officer, query_id)
    assert (query["status"], query["reason"]) == ("dispatched", "webhook_unreachable")


@pytest.mark.parametrize(
    "reply",
    [
        {"content": b"<html>not json</html>", "headers": {"Content-Type": "text/html"}},
        {"json": {"status": "answered", "result": {"bank": "East Commercial Bank"}}},  # fields missing
        {"json": {"status": "maybe"}},
        {"json": ["answered"]},
    ],
    ids=["not-json", "incomplete-result", "unknown-status", "not-an-object"],
)
def test_an_invalid_answer_fails_the_query_at_once(world, officer, webhook, reply):
    webhook.reply = answering(200, **reply)
    query_id = submit(officer, world)
    assert push.push_attempt(query_id) == push.PushOutcome(done=True)
    query = seen(officer, query_id)
    assert (query["status"], query["reason"], query["result"]) == ("failed", "invalid_answer", None)
    assert len(webhook.received) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_a_client_error_fails_the_query_as_rejected(world, officer, webhook, status):
    webhook.reply = answering(status)
    query_id = submit(officer, world)
    assert push.push_attempt(query_id) == push.PushOutcome(done=True)
    query = seen(officer, query_id)
    assert (query["status"], query["reason"]) == ("failed", f"partner_rejected_{status}")


class _HighestDelay:
    """`random` whose jitter always picks the longest delay: the backoff's ceiling, exactly."""

    @staticmethod
    def uniform(low: float, high: float) -> float:
        return high


def test_no_retry_is_scheduled_past_the_deadline(world, officer, webhook, monkeypatch):
    monkeypatch.setattr(push, "random", _HighestDelay)
    webhook.reply = answering(503)
    query_id = submit(officer, world, deadline_seconds=6)
    outcomes = [push.push_attempt(query_id) for _ in range(4)]
    # 1 s, 2 s and 4 s still end before the 6 s deadline; 8 s would not, so nothing is retried.
    assert [outcome.retry_in for outcome in outcomes] == [1.0, 2.0, 4.0, None]
    assert outcomes[-1].done
    query = seen(officer, query_id)
    assert (query["status"], query["reason"]) == ("dispatched", "webhook_error_503")  # the sweeper expires it


@pytest.fixture
def time_machine(monkeypatch) -> Callable[[timedelta], None]:
    """`time_machine(delta)`: the delivery's clock runs `delta` ahead from then on."""

    def travel(delta: timedelta) -> None:
        moment = timezone.now() + delta
        monkeypatch.setattr(push.timezone, "now", lambda: moment)

    return travel


def test_nothing_is_sent_once_the_deadline_has_passed(world, officer, webhook, time_machine):
    query_id = submit(officer, world, deadline_seconds=5)
    time_machine(timedelta(seconds=6))
    assert push.push_attempt(query_id) == push.PushOutcome(done=True)
    assert webhook.received == []


def test_a_suspended_partner_is_not_pushed_to(world, officer, webhook):
    query_id = submit(officer, world)
    Partner.objects.filter(pk=world.platform_y.pk).update(status=PartnerStatus.SUSPENDED)
    assert push.push_attempt(query_id) == push.PushOutcome(done=True)
    assert webhook.received == []
    query = seen(officer, query_id)
    assert (query["status"], query["reason"]) == ("failed", "partner_suspended")


def test_a_partner_without_an_active_key_is_not_pushed_to(world, officer, webhook):
    """Its answers could not be recorded as any key's, so it is not asked."""
    query_id = submit(officer, world)
    AdapterKey.objects.filter(partner=world.platform_y).update(revoked_at=timezone.now())
    assert push.push_attempt(query_id) == push.PushOutcome(done=True)
    assert webhook.received == []
    query = seen(officer, query_id)
    assert (query["status"], query["reason"]) == ("failed", "partner_has_no_active_key")


def test_the_push_is_signed_with_the_published_key_and_names_nothing_personal_outside_its_body(
    world, officer, webhook
):
    query_id = submit(officer, world)
    push.push_attempt(query_id)
    (request,) = webhook.received
    published = {key["key_id"]: key for key in APIClient().get("/api/v1/signing-keys/").json()}
    verified = signing.verify_request(
        method=request.method,
        url=str(request.url),
        headers=dict(request.headers),
        body=request.content,
        resolve_key=lambda key_id: (
            signing.load_public_key(published[key_id]["public_key"]) if key_id in published else None
        ),
        tag=signing.PUSH_TAG,
    )
    assert verified.key_id in published
    assert request.url == httpx.URL(world.platform_y.webhook_url)
    assert ORDER in request.content.decode()  # the partner cannot answer without it
    outside = [str(request.url), *request.headers.values()]
    assert not [value for value in outside if ORDER in value or ORDER[-8:] in value]
