"""GatewayClient against the contract fixture: signed requests, and errors mapped to typed classes."""

from __future__ import annotations

import httpx
import pytest

from afx_sdk import (
    Answer,
    AnswerConflict,
    GatewayClient,
    GatewayError,
    GatewayUnavailable,
    QueryClosed,
    fetch_gateway_keys,
    signing,
)
from simulator.dataset import expected_answer
from tests.sdk.conftest import (
    GATEWAY_KEY_ID,
    GATEWAY_PUBLIC_KEY,
    KEY_ID,
    ORDERS,
    PRIVATE_KEY,
    SEED,
    query_json,
)


@pytest.fixture
def client(contract_gateway):
    with GatewayClient(contract_gateway.url, KEY_ID, PRIVATE_KEY, timeout=5) as client:
        yield client


def test_inbox_returns_typed_queries_signed_over_the_query_string(client, contract_gateway, order_numbers):
    contract_gateway.enqueue(*(query_json(number) for number in order_numbers[:3]))
    queries = client.inbox(wait=0, limit=2)
    assert [query.input["order_number"] for query in queries] == order_numbers[:2]
    assert len(client.inbox(wait=0, limit=100)) == 1
    assert client.inbox(wait=0) == []


def test_malformed_queries_are_skipped_not_fatal(client, contract_gateway, order_numbers):
    contract_gateway.enqueue({"id": "broken", "kind": "order_lookup"}, query_json(order_numbers[0]))
    assert [query.input["order_number"] for query in client.inbox(wait=0)] == [order_numbers[0]]


def test_answer_twice_is_a_no_op_and_a_different_answer_conflicts(client, contract_gateway, order_numbers):
    query = query_json(order_numbers[0])
    contract_gateway.enqueue(query)
    answer = expected_answer("paylink", order_numbers[0], SEED, orders=ORDERS)
    assert client.answer(query["id"], answer) == {"id": query["id"], "status": "answered"}
    assert client.answer(query["id"], answer) == {"id": query["id"], "status": "answered"}
    with pytest.raises(AnswerConflict) as conflict:
        client.answer(query["id"], Answer.not_found())
    assert (conflict.value.status, conflict.value.code) == (409, "answer_conflict")


def test_answer_to_a_closed_query(client, contract_gateway):
    contract_gateway.close("expired-query")
    with pytest.raises(QueryClosed) as closed:
        client.answer("expired-query", Answer.not_found())
    assert (closed.value.status, closed.value.code) == (410, "query_closed")


def test_answer_to_a_query_of_another_partner_is_not_found(client):
    with pytest.raises(GatewayError) as missing:
        client.answer("not-ours", Answer.not_found())
    assert type(missing.value) is GatewayError
    assert (missing.value.status, missing.value.code) == (404, "not_found")


def test_another_private_key_is_refused(contract_gateway):
    with (
        GatewayClient(contract_gateway.url, KEY_ID, signing.generate_private_key()) as client,
        pytest.raises(GatewayError) as refused,
    ):
        client.me()
    assert (refused.value.status, refused.value.code) == (401, "signature_invalid")


def test_me(client):
    assert client.me()["partner"] == {"code": "paylink"}


@pytest.mark.parametrize(
    ("fault", "code"),
    [(503, "unavailable"), (429, "unavailable"), ("proxy", "http_502"), ("drop", "unreachable")],
)
def test_outages_are_gateway_unavailable(client, contract_gateway, fault, code):
    contract_gateway.fail_next(fault)
    with pytest.raises(GatewayUnavailable) as down:
        client.inbox(wait=0)
    assert down.value.code == code
    assert client.inbox(wait=0) == []  # and the next call goes through


def test_nothing_listening_is_gateway_unavailable(contract_gateway):
    url = contract_gateway.url
    contract_gateway.stop()
    with GatewayClient(url, KEY_ID, PRIVATE_KEY) as client, pytest.raises(GatewayUnavailable) as down:
        client.me()
    assert (down.value.status, down.value.code) == (None, "unreachable")
    assert "no response" in str(down.value)


def test_requests_are_signed_over_escaped_paths_and_repeated_query_keys(client, contract_gateway):
    """The contract gateway verifies over the raw target: `%2A`, `%26`, unicode and `a=1&a=2` as sent."""
    body = client._request("GET", "/api/v1/adapter/me/", params={"a": ["1", "2"], "q": "中文*&"})
    assert body["partner"] == {"code": "paylink"}
    with pytest.raises(GatewayError) as missing:
        client._request("GET", "/api/v1/adapter/x%2Ay%26z/%E4%B8%AD/")
    assert missing.value.status == 404  # signature accepted; there is no such page


def test_the_private_key_may_be_given_as_text(contract_gateway):
    with GatewayClient(contract_gateway.url, KEY_ID, signing.private_key_text(PRIVATE_KEY)) as client:
        assert client.me()["partner"] == {"code": "paylink"}


def test_gateway_keys_lists_the_push_keys_only(client):
    keys = client.gateway_keys()
    assert list(keys) == [GATEWAY_KEY_ID]
    assert signing.public_key_text(keys[GATEWAY_KEY_ID]) == GATEWAY_PUBLIC_KEY


def _published(request: httpx.Request, key_id: str = GATEWAY_KEY_ID) -> httpx.Response:
    key = {"key_id": key_id, "algorithm": "ed25519", "public_key": GATEWAY_PUBLIC_KEY, "use": "push"}
    return httpx.Response(200, json=[key])


def test_a_published_key_whose_id_is_not_its_fingerprint_is_refused():
    """Keys given as text are known by their fingerprint; a fetched key must have the same id."""
    other_id = signing.key_fingerprint(signing.generate_private_key().public_key())
    transport = httpx.MockTransport(lambda request: _published(request, key_id=other_id))
    http = httpx.Client(base_url="https://gateway.example", transport=transport)
    with http, pytest.raises(ValueError, match="fingerprint"):
        fetch_gateway_keys(http)


@pytest.mark.parametrize(
    "base_url", ["http://gateway.example", "http://10.0.0.1:8000", "ftp://gateway.example"]
)
def test_gateway_keys_are_not_fetched_over_plain_http_from_afar(base_url):
    http = httpx.Client(base_url=base_url, transport=httpx.MockTransport(_published))
    with http, pytest.raises(ValueError, match="https"):
        fetch_gateway_keys(http)
    with pytest.raises(ValueError, match="https"):
        fetch_gateway_keys(base_url)


@pytest.mark.parametrize(
    "base_url", ["https://gateway.example", "http://localhost:8000", "http://[::1]:8000"]
)
def test_gateway_keys_are_fetched_over_https_or_from_loopback(base_url):
    with httpx.Client(base_url=base_url, transport=httpx.MockTransport(_published)) as http:
        assert list(fetch_gateway_keys(http)) == [GATEWAY_KEY_ID]
