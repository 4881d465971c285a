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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from afx_sdk import (
    Answer,
    MemoryNonceStore,
    PushReceiver,
    Query,
    SQLiteNonceStore,
    gateway_keys_from_text,
    serve,
    signing,
)
from simulator.dataset import Dataset, expected_answer
from simulator.platform import OrderLookupHandler
from tests.sdk.conftest import GATEWAY_KEY, GATEWAY_KEY_ID, GATEWAY_PUBLIC_KEY, ORDERS, SEED, query_json

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
        key: Ed25519PrivateKey = GATEWAY_KEY,
        key_id: str = GATEWAY_KEY_ID,
        signed_url: str | None = None,
        tag: str = signing.PUSH_TAG,
        now: float | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> httpx.Response:
        """POST a query the way the gateway does; every part of the signature can be spoiled."""
        body = json.dumps(query).encode() if body is None else body
        if headers is None:
            headers = self.sign(body, key=key, key_id=key_id, url=signed_url or self.url, tag=tag, now=now)
        return httpx.post(self.url, content=body, headers={**headers, "Content-Type": "application/json"})

    def sign(
        self,
        body: bytes,
        *,
        key: Ed25519PrivateKey = GATEWAY_KEY,
        key_id: str = GATEWAY_KEY_ID,
        url: str | None = None,
        tag: str = signing.PUSH_TAG,
        now: float | None = None,
    ) -> dict[str, str]:
        return signing.signed_headers(
            key_id=key_id, private_key=key, method="POST", url=url or self.url, body=body, tag=tag, now=now
        )


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    handler = CountingHandler(OrderLookupHandler(Dataset("paylink", seed=SEED, orders=ORDERS)))
    receiver = PushReceiver(handler, gateway_keys=gateway_keys_from_text(GATEWAY_PUBLIC_KEY))
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
        assert response.headers["WWW-Authenticate"].startswith("Signature")
        assert set(response.json()["error"]) == {"code", "message", "fields"}
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
def test_stale_signature_is_refused(webhook, order_numbers, offset):
    response = webhook.deliver(query_json(order_numbers[0]), now=time.time() + offset)
    assert refusal(response) == "signature_stale"
    assert webhook.handler.calls.total() == 0


def test_replayed_nonce_is_refused(webhook, order_numbers):
    query = query_json(order_numbers[0])
    body = json.dumps(query).encode()
    headers = webhook.sign(body)
    assert webhook.deliver(query, headers=headers, body=body).status_code == 200
    assert refusal(webhook.deliver(query, headers=headers, body=body)) == "signature_replayed"


def test_another_key_id_is_refused(webhook, order_numbers):
    response = webhook.deliver(query_json(order_numbers[0]), key_id="ba9876543210")
    assert refusal(response) == "signature_invalid"


@pytest.mark.parametrize(
    "spoil",
    [
        {"key": Ed25519PrivateKey.generate()},
        {"signed_url": "other-path"},
        {"signed_url": "other-host"},
        {"tag": signing.ADAPTER_TAG},
    ],
    ids=["another-private-key", "other-path", "other-host", "adapter-tag"],
)
def test_wrong_signature_is_refused(webhook, order_numbers, spoil):
    if spoil.get("signed_url") == "other-path":
        spoil["signed_url"] = webhook.url.replace(PATH, "/afx/other-webhook")
    elif spoil.get("signed_url") == "other-host":  # a push for another partner's webhook, replayed here
        spoil["signed_url"] = webhook.url.replace("127.0.0.1", "partner-b.example")
    assert refusal(webhook.deliver(query_json(order_numbers[0]), **spoil)) == "signature_invalid"
    assert webhook.handler.calls.total() == 0


def test_body_changed_after_signing_is_refused(webhook, order_numbers):
    signed, sent = (json.dumps(query_json(number)).encode() for number in order_numbers[:2])
    assert refusal(webhook.deliver({}, headers=webhook.sign(signed), body=sent)) == "signature_invalid"


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


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_nonces_are_forgotten_after_they_expire(store, tmp_path):
    nonces = MemoryNonceStore() if store == "memory" else SQLiteNonceStore(tmp_path / "nonces.db")
    expires_at = time.time() + 0.05
    assert nonces.add("n-1", expires_at) and not nonces.add("n-1", expires_at)
    assert nonces.add("n-2", expires_at)
    time.sleep(0.06)
    assert nonces.add("n-1", time.time() + 60) and not nonces.add("n-1", time.time() + 60)


def test_memory_nonces_expired_behind_a_later_expiry_are_forgotten(monkeypatch):
    """Pushes arrive out of expiry order (each expires a window after it was signed): one
    that expires late must not keep the expired ones after it in memory."""
    now = 1_000_000.0
    monkeypatch.setattr(time, "time", lambda: now)
    nonces = MemoryNonceStore()
    assert nonces.add("late", now + 2_000)
    for second in range(1_000):
        now += 1
        assert nonces.add(f"n-{second}", now + 10)
    # Only the late one and those of the last ten seconds are still within their window.
    assert len(nonces._expiry) <= 12
    assert not nonces.add("late", now + 60)  # still remembered


def _push_environ(body: bytes, headers: dict[str, str], url: str = "http://adapter.example/afx/webhook"):
    import io
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PATH,
        "RAW_URI": PATH,
        "HTTP_HOST": "adapter.example",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    return environ


def _call(receiver: PushReceiver, body: bytes, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    statuses: list[str] = []
    reply = b"".join(receiver(_push_environ(body, headers), lambda status, _: statuses.append(status)))  # type: ignore[arg-type]
    return statuses[0], json.loads(reply)


def _signed_push(order_number: str, *, key: Ed25519PrivateKey = GATEWAY_KEY) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(query_json(order_number)).encode()
    key_id = signing.key_fingerprint(key.public_key())
    url = f"http://adapter.example{PATH}"
    headers = signing.signed_headers(
        key_id=key_id, private_key=key, method="POST", url=url, body=body, tag=signing.PUSH_TAG
    )
    return body, headers


def _receiver(**kwargs: Any) -> PushReceiver:
    handler = CountingHandler(OrderLookupHandler(Dataset("paylink", seed=SEED, orders=ORDERS)))
    return PushReceiver(handler, gateway_keys=gateway_keys_from_text(GATEWAY_PUBLIC_KEY), **kwargs)


def test_a_push_replayed_to_another_worker_is_refused_with_a_shared_store(order_numbers, tmp_path):
    """Two receivers stand for two worker processes: each opens the SQLite file on its own."""
    body, headers = _signed_push(order_numbers[0])
    first = _receiver(nonces=SQLiteNonceStore(tmp_path / "nonces.db"))
    second = _receiver(nonces=SQLiteNonceStore(tmp_path / "nonces.db"))
    assert _call(first, body, headers)[0] == "200 OK"
    status, reply = _call(second, body, headers)
    assert (status, reply["error"]["code"]) == ("401 Unauthorized", "signature_replayed")
    # The default memory store is one process's: the same replay to another one is accepted.
    assert _call(_receiver(), body, headers)[0] == "200 OK"


def test_a_push_with_a_new_gateway_key_makes_the_receiver_fetch_the_keys_once(order_numbers):
    rotated = signing.generate_private_key()
    fetches: list[int] = []

    def fetch() -> dict[str, Any]:
        fetches.append(1)
        return {
            **gateway_keys_from_text(GATEWAY_PUBLIC_KEY),
            **gateway_keys_from_text(signing.public_key_text(rotated)),
        }

    receiver = _receiver(key_fetcher=fetch)
    assert _call(receiver, *_signed_push(order_numbers[0]))[0] == "200 OK"
    assert fetches == []  # a known key needs no fetch
    assert _call(receiver, *_signed_push(order_numbers[1], key=rotated))[0] == "200 OK"
    assert _call(receiver, *_signed_push(order_numbers[2], key=rotated))[0] == "200 OK"
    status, reply = _call(receiver, *_signed_push(order_numbers[3], key=signing.generate_private_key()))
    assert (status, reply["error"]["code"]) == ("401 Unauthorized", "signature_invalid")
    assert fetches == [1]  # the unknown key asked again within the minute: no second fetch


def test_without_a_fetcher_an_unknown_gateway_key_is_refused(order_numbers):
    status, reply = _call(_receiver(), *_signed_push(order_numbers[0], key=signing.generate_private_key()))
    assert (status, reply["error"]["code"]) == ("401 Unauthorized", "signature_invalid")


def test_a_failing_fetch_keeps_the_keys_held(order_numbers):
    def fetch() -> dict[str, Any]:
        raise OSError("gateway away")

    receiver = _receiver(key_fetcher=fetch)
    status, _ = _call(receiver, *_signed_push(order_numbers[0], key=signing.generate_private_key()))
    assert status == "401 Unauthorized"
    assert _call(receiver, *_signed_push(order_numbers[1]))[0] == "200 OK"


def test_gateway_keys_are_named_by_their_fingerprint():
    assert gateway_keys_from_text(f" {GATEWAY_PUBLIC_KEY} ,") == {GATEWAY_KEY_ID: GATEWAY_KEY.public_key()}
    with pytest.raises(ValueError, match="Not an Ed25519 public key"):
        gateway_keys_from_text("not-a-key")


HOSTILE = {
    "non-ascii signature": {"Signature": "afx=:ÄÖÜ:".encode()},
    "non-latin bytes": {"Signature-Input": 'afx=("@method");keyid="中"'.encode()},
    "malformed structured field": {"Signature-Input": b"afx=(((;;"},
    "duplicate labels": {"Signature": b"afx=:AAAA:, afx=:BBBB:"},
    "huge value": {"Signature": b"afx=:" + b"A" * 30_000 + b":"},
    "bad digest": {"Content-Digest": b"sha-256=:AAAA:"},
    "only the signature": {"Signature-Input": b""},
}


@pytest.mark.parametrize("spoil", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_signature_headers_are_a_clean_401(webhook, order_numbers, spoil):
    body = json.dumps(query_json(order_numbers[0])).encode()
    headers: dict[str, Any] = {**webhook.sign(body), **spoil}
    headers = {name: value for name, value in headers.items() if value != b""}
    response = httpx.post(webhook.url, content=body, headers=headers)
    assert refusal(response) in {"signature_invalid", "signature_missing"}
    assert webhook.handler.calls.total() == 0


def test_escaped_webhook_path_and_query_verify_as_sent(order_numbers):
    """A webhook URL with escapes, unicode and repeated query keys, verified over the raw target."""
    handler = CountingHandler(OrderLookupHandler(Dataset("paylink", seed=SEED, orders=ORDERS)))
    receiver = PushReceiver(
        handler, gateway_keys=gateway_keys_from_text(GATEWAY_PUBLIC_KEY), path="/afx/%E4%B8%AD"
    )
    stop, ports = threading.Event(), queue.Queue[int]()
    thread = threading.Thread(
        target=serve, args=(receiver,), kwargs={"port": 0, "stop": stop, "on_ready": ports.put}
    )
    thread.start()
    try:
        webhook = Webhook(f"http://127.0.0.1:{ports.get(timeout=5)}/afx/%E4%B8%AD?t=%2A%26&t=2", handler)
        assert webhook.deliver(query_json(order_numbers[0])).status_code == 200
        decoded = webhook.url.replace("%2A", "*")
        assert (
            refusal(webhook.deliver(query_json(order_numbers[1]), signed_url=decoded)) == "signature_invalid"
        )
    finally:
        stop.set()
        thread.join(timeout=5)


def test_a_push_signed_by_the_library_alone_is_accepted(webhook, order_numbers):
    """Interoperability: anything that signs RFC 9421 with our profile is verified."""

    class Message:
        def __init__(self, url: str) -> None:
            self.method, self.url = "POST", url
            self.headers: dict[str, str] = {}

    body = json.dumps(query_json(order_numbers[0])).encode()
    message = Message(webhook.url)
    HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={GATEWAY_KEY_ID: GATEWAY_KEY}),
    ).sign(
        message,
        key_id=GATEWAY_KEY_ID,
        nonce="library-nonce-000000000000",
        tag=signing.PUSH_TAG,
        covered_component_ids=signing.COVERED_COMPONENTS,
        body=body,
    )
    assert webhook.deliver({}, headers=message.headers, body=body).json()["status"] == "answered"


def test_without_a_raw_target_the_decoded_path_is_escaped_again(order_numbers):
    """Under a WSGI server that passes no RAW_URI, the canonical escapes still verify."""
    import io
    from wsgiref.util import setup_testing_defaults

    handler = CountingHandler(OrderLookupHandler(Dataset("paylink", seed=SEED, orders=ORDERS)))
    receiver = PushReceiver(
        handler, gateway_keys=gateway_keys_from_text(GATEWAY_PUBLIC_KEY), path="/afx/%E4%B8%AD"
    )
    body = json.dumps(query_json(order_numbers[0])).encode()
    url = "http://adapter.example/afx/%E4%B8%AD?t=1&t=2"
    headers = signing.signed_headers(
        key_id=GATEWAY_KEY_ID,
        private_key=GATEWAY_KEY,
        method="POST",
        url=url,
        body=body,
        tag=signing.PUSH_TAG,
    )
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/afx/中".encode().decode("latin-1"),  # as WSGI servers decode it
        "QUERY_STRING": "t=1&t=2",
        "HTTP_HOST": "adapter.example",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []
    reply = b"".join(receiver(environ, lambda status, headers: statuses.append(status)))  # type: ignore[arg-type]
    assert statuses == ["200 OK"], reply


def test_deeply_nested_json_is_a_400_not_a_crash(webhook):
    deep = b"[" * 50_000 + b"]" * 50_000
    response = webhook.deliver({}, body=deep)
    assert refusal(response, 400) == "invalid_query"
