"""GatewayClient.watchlist_check against the contract fixture: a signed POST, one result per
value in order, and the gateway's refusals mapped to typed errors."""

from __future__ import annotations

import pytest

from afx_sdk import GatewayClient, GatewayError, GatewayUnavailable, signing
from tests.sdk.conftest import KEY_ID, PRIVATE_KEY

LISTED_ACCOUNT = "6217000010001234567"
LISTED_PHONE = "13912345678"
UNLISTED_ACCOUNT = "6222020200112233445"


@pytest.fixture
def client(contract_gateway):
    contract_gateway.watchlist.update(
        {("account", LISTED_ACCOUNT): "counter_only", ("phone", LISTED_PHONE): "block"}
    )
    with GatewayClient(contract_gateway.url, KEY_ID, PRIVATE_KEY, timeout=5) as client:
        yield client


def test_each_value_is_answered_in_order_listed_or_not(client, contract_gateway):
    results = client.watchlist_check(
        [("account", LISTED_ACCOUNT), ("account", UNLISTED_ACCOUNT), ("phone", LISTED_PHONE)]
    )
    assert results == [
        {"index": 0, "listed": True, "restriction": "counter_only"},
        {"index": 1, "listed": False, "restriction": None},
        {"index": 2, "listed": True, "restriction": "block"},
    ]
    # The values go in the signed body, as kind and value objects, never in the URL.
    assert contract_gateway.checks == [
        [
            {"kind": "account", "value": LISTED_ACCOUNT},
            {"kind": "account", "value": UNLISTED_ACCOUNT},
            {"kind": "phone", "value": LISTED_PHONE},
        ]
    ]


def test_a_bad_value_is_a_gateway_error_naming_its_place(client):
    with pytest.raises(GatewayError) as refused:
        client.watchlist_check([("account", LISTED_ACCOUNT), ("email", "someone@example.com")])
    assert (refused.value.status, refused.value.code) == (400, "invalid")
    assert refused.value.fields == {"values": {"1": ["Not an account or a phone number."]}}
    assert "someone@example.com" not in str(refused.value)


def test_no_values_is_refused(client):
    with pytest.raises(GatewayError) as refused:
        client.watchlist_check([])
    assert (refused.value.status, refused.value.code) == (400, "invalid")


def test_another_private_key_is_refused(contract_gateway):
    with (
        GatewayClient(contract_gateway.url, KEY_ID, signing.generate_private_key()) as client,
        pytest.raises(GatewayError) as refused,
    ):
        client.watchlist_check([("account", LISTED_ACCOUNT)])
    assert (refused.value.status, refused.value.code) == (401, "signature_invalid")
    assert contract_gateway.checks == []


def test_a_gateway_fault_is_unavailable(client, contract_gateway):
    contract_gateway.fail_next(503)
    with pytest.raises(GatewayUnavailable):
        client.watchlist_check([("account", LISTED_ACCOUNT)])


def test_results_that_are_not_a_list_are_a_bad_response(client, contract_gateway, monkeypatch):
    monkeypatch.setattr(client, "_request", lambda *args, **kwargs: {"results": "listed"})
    with pytest.raises(GatewayError) as bad:
        client.watchlist_check([("account", LISTED_ACCOUNT)])
    assert bad.value.code == "bad_response"
