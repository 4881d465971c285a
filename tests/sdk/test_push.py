"""The push receiver over real HTTP on 127.0.0.1: what the gateway's webhook calls will meet."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from afx_sdk import Answer, NonceStore, PushReceiver, Query, key_id_from_api_key, serve, signing
from simulator.dataset import Dataset, expected_answer
from simulator.platform import OrderLookupHandler
from tests.sdk.conftest import KEY_ID, ORDERS, SEED, SIGNING_SECRET, query_json

PATH = "/afx/webhook"


@dataclass
class CountingHandler:
    """The simulator's handler, counting calls per query id; `failure` makes it raise instead."""

    inner: OrderLookupHandler
    calls: Counter[str] = field(default_factory=Counter)
    failure: Exception | None = None

    def handle(self, query: Query) -> Answer:
        self.calls[query.id] += 1
        if self.failure is not None:
            raise self.failure
        return self.inner.handle(query)


@dataclass
class Webhook:
    url: str
    handler: CountingHandler

    def deliver(
        self,
        query: dict[str, Any],
        *,
        key: str = KEY_ID,
        secret: str = SIGNING_SECRET,
        signed_path: str = PATH,
        now: float | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> httpx.Response:
        """POST a query the way the gateway does; every part of the signature can be spoiled."""
        body = json.dumps(query).encode() if body is None else body
        if headers is None:
            headers = signing.signed_headers(
                api_key=key, secret=secret, method="POST", path=signed_path, body=body, now=now
            )
        return httpx.post(self.url, content=body, headers={**headers, "Content-Type": "application/json"})


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    handler = CountingHandler(OrderLookupHandler(Dataset("paylink", seed=SEED, orders=ORDERS)))
    receiver = PushReceiver(handler, key_id=KEY_ID, signing_secret=SIGNING_SECRET)
    stop, ports = threading.Event(), queue.Queue[int]()
    thread = threading.Thread(
        target=serve, args=(receiver,), kwargs={"port": 0, "stop": stop, "on_ready": ports.put}
    )
    thread.start()
    yield Webhook(f"http://127.0.0.1:{ports.get(timeout=5)}{PATH}", handler)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def refusal(response: httpx.Response, status: int = 401) -> str:
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("AFX-HMAC")
    return response.json()["error"]["code"]


def test_signed_query_is_answered_from_the_data_set(webhook, order_numbers):
    response = webhook.deliver(query_json(order_numbers[0]))
    assert response.status_code == 200
    assert response.json() == expected_answer("paylink", order_numbers[0], SEED, orders=ORDERS).to_json()
    assert response.json()["status"] == "answered"


def test_unknown_order_number_is_not_found(webhook, order_numbers):
    tampered = order_numbers[0][:-1] + str((int(order_numbers[0][-1]) + 1) % 10)
    response = webhook.deliver(query_json(tampered))
    assert response.status_code == 200
    assert response.json()["status"] == "not_found"


@pytest.mark.parametrize("offset", [-400, 400])
def test_stale_timestamp_is_refused(webhook, order_numbers, offset):
    response = webhook.deliver(query_json(order_numbers[0]), now=time.time() + offset)
    assert refusal(response) == "signature_stale"
    assert webhook.handler.calls.total() == 0


def test_replayed_nonce_is_refused(webhook, order_numbers):
    query = query_json(order_numbers[0])
    body = json.dumps(query).encode()
    headers = signing.signed_headers(
        api_key=KEY_ID, secret=SIGNING_SECRET, method="POST", path=PATH, body=body
    )
    assert webhook.deliver(query, headers=headers, body=body).status_code == 200
    assert refusal(webhook.deliver(query, headers=headers, body=body)) == "signature_replayed"


def test_another_key_id_is_refused(webhook, order_numbers):
    response = webhook.deliver(query_json(order_numbers[0]), key="ba9876543210")
    assert refusal(response) == "signature_invalid"


@pytest.mark.parametrize(
    "spoil",
    [{"secret": "not-the-signing-secret"}, {"signed_path": "/afx/other-webhook"}],
    ids=["wrong-secret", "other-path"],
)
def test_wrong_signature_is_refused(webhook, order_numbers, spoil):
    assert refusal(webhook.deliver(query_json(order_numbers[0]), **spoil)) == "signature_invalid"
    assert webhook.handler.calls.total() == 0


def test_body_changed_after_signing_is_refused(webhook, order_numbers):
    signed, sent = (json.dumps(query_json(number)).encode() for number in order_numbers[:2])
    headers = signing.signed_headers(
        api_key=KEY_ID, secret=SIGNING_SECRET, method="POST", path=PATH, body=signed
    )
    assert refusal(webhook.deliver({}, headers=headers, body=sent)) == "signature_invalid"


def test_unsigned_request_is_refused(webhook, order_numbers):
    response = httpx.post(webhook.url, json=query_json(order_numbers[0]))
    assert refusal(response) == "signature_missing"


def test_handler_failure_is_a_500_that_leaks_nothing_and_is_not_cached(webhook, order_numbers, caplog):
    query = query_json(order_numbers[0])
    secret_detail = f"lookup of {order_numbers[0]} for 丁俊燕 failed"
    webhook.handler.failure = RuntimeError(secret_detail)
    with caplog.at_level(logging.DEBUG):
        response = webhook.deliver(query)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "adapter_error"
    for leak in (order_numbers[0], "丁俊燕", "RuntimeError"):
        assert leak not in response.text
    assert secret_detail not in caplog.text
    assert query["id"] in caplog.text  # the operator can still tell which query failed

    webhook.handler.failure = None  # the gateway retries: the next delivery is answered
    assert webhook.deliver(query).json()["status"] == "answered"


def test_redelivery_gets_the_same_answer_without_running_the_handler_again(webhook, order_numbers):
    query = query_json(order_numbers[1])
    first, second = webhook.deliver(query), webhook.deliver(query)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert webhook.handler.calls[query["id"]] == 1


def test_malformed_query_is_a_400(webhook):
    response = webhook.deliver({}, body=b'{"id": "q-1", "kind": "order_lookup"}')
    assert refusal(response, 400) == "invalid_query"
    assert "partner" in response.json()["error"]["message"]


def test_only_post_on_the_webhook_path(webhook):
    assert refusal(httpx.get(webhook.url), 405) == "method_not_allowed"
    assert refusal(httpx.post(webhook.url.replace(PATH, "/elsewhere"), content=b"{}"), 404) == "not_found"


def test_concurrent_deliveries_are_served_in_parallel(webhook, order_numbers):
    webhook.handler.inner.latency_seconds = 0.3
    started = time.monotonic()
    threads = [
        threading.Thread(target=webhook.deliver, args=(query_json(number),)) for number in order_numbers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started < 1.0  # five slow answers at once, not one after another
    assert webhook.handler.calls.total() == len(order_numbers)


def test_nonces_are_forgotten_after_their_window():
    nonces = NonceStore(ttl=0.05)
    assert nonces.add("n-1") and not nonces.add("n-1")
    time.sleep(0.06)
    assert nonces.add("n-1")


def test_key_id_is_the_middle_of_the_api_key():
    assert key_id_from_api_key("afx_0123456789ab_secret_part_with_underscores") == "0123456789ab"
    with pytest.raises(ValueError, match="afx_<key id>"):
        key_id_from_api_key("0123456789ab")
