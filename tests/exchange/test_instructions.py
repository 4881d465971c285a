"""Units' signatures on stops and freezes: what a bank receives verifies against the published
keys, and only the ordering unit's key makes it verify."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from rest_framework.test import APIClient

from afx_sdk import signing
from afx_sdk.instructions import InstructionError, sign, verify
from exchange import instructions
from exchange.delivery import push
from exchange.delivery.inbox import inbox_lease
from exchange.instructions import unit_key
from exchange.services import queries
from exchange.wire import query_to_wire
from partners.choices import Delivery
from partners.models import UnitSigningKey
from tests import factories
from tests.exchange.service_matrix_holds import bank_adapter, bank_grants, stop_input, submit


def published() -> dict[str, tuple[str, Any]]:
    """The unit keys as a bank reads them from `/signing-keys/`: key id -> (unit, public key)."""
    response = APIClient().get("/api/v1/signing-keys/")
    assert response.status_code == 200
    return {
        entry["key_id"]: (entry["unit"], signing.load_public_key(entry["public_key"]))
        for entry in response.json()
        if entry["use"] == "unit"
    }


def pulled_stop(world) -> dict[str, Any]:
    bank_grants(world)
    submit(world, "stop_payment", stop_input())
    (query,) = inbox_lease(adapter=bank_adapter(world), limit=10)
    # As the inbox answers it: JSON over the wire, read back by the bank.
    return dict(json.loads(json.dumps(query_to_wire(query))))


def test_a_pulled_stop_verifies_as_ordered_by_its_unit(world) -> None:
    message = pulled_stop(world)
    assert message["instruction"]["unit"] == world.unit_a.code
    assert verify(message, published(), partner=world.bank.code) == world.unit_a.code


def test_a_pushed_stop_verifies_too(world, monkeypatch) -> None:
    received: list[httpx.Request] = []

    def webhook(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(202)

    monkeypatch.setattr(push, "_webhooks", httpx.Client(transport=httpx.MockTransport(webhook)))
    pushed = factories.bank(
        "bank-push", bins=("621700",), delivery=Delivery.PUSH, webhook_url="http://127.0.0.1:9/h"
    )
    factories.adapter_key(pushed)
    factories.grant(world.unit_a, pushed, "stop_payment")
    query = queries.query_submit(
        actor=world.officer_a,
        submission=queries.Submission(
            case_id=world.case_a.pk, kind="stop_payment", partner=pushed.code, input=stop_input()
        ),
    )
    assert push.push_attempt(str(query.pk)) == push.PushOutcome(done=True)
    (request,) = received
    assert verify(json.loads(request.content), published(), partner=pushed.code) == world.unit_a.code


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m["input"].update(amount="52000.00"),
        lambda m: m["input"].update(account_number="6222020200998877665"),
        lambda m: m.update(partner="another-bank"),
        lambda m: m.update(case_reference="00000000-0000-0000-0000-000000000000"),
    ],
)
def test_a_tampered_instruction_does_not_verify(world, tamper) -> None:
    message = pulled_stop(world)
    tamper(message)
    with pytest.raises(InstructionError):
        verify(message, published(), partner=world.bank.code)


def test_another_units_key_does_not_verify(world) -> None:
    message = pulled_stop(world)
    other = unit_key(world.unit_b)  # unit B's key, published as unit B's
    forged = {**message, "instruction": sign(message, world.unit_a.code, other)}
    with pytest.raises(InstructionError):
        verify(forged, published(), partner=world.bank.code)
    # Signed by unit B in its own name, it verifies as unit B's order, never as unit A's.
    assert (
        verify(
            {**message, "instruction": sign(message, world.unit_b.code, other)},
            published(),
            partner=world.bank.code,
        )
        == "unit-b"
    )


def test_one_key_per_unit_made_once_and_retired_keys_stay_published(world) -> None:
    first = unit_key(world.unit_a)
    assert signing.public_key_text(unit_key(world.unit_a)) == signing.public_key_text(first)
    (held,) = UnitSigningKey.objects.filter(unit=world.unit_a)
    assert held.private_key != "" and signing.public_key_text(first) == held.public_key
    message = pulled_stop(world)
    UnitSigningKey.objects.filter(pk=held.pk).update(retired_at=held.created_at)
    assert signing.public_key_text(unit_key(world.unit_a)) != signing.public_key_text(first)
    keys = published()
    assert {held.key_id} < set(keys) and len(keys) == 2
    assert (
        verify(message, keys, partner=world.bank.code) == world.unit_a.code
    )  # signed before the rotation, still valid


def test_two_first_needs_at_once_make_one_key(world, monkeypatch) -> None:
    """The second maker of a unit's first key meets the unique constraint and reads the first."""
    first = unit_key(world.unit_a)
    monkeypatch.setattr(instructions, "_active_key", lambda unit: None)  # it looked before the first saved
    assert signing.public_key_text(unit_key(world.unit_a)) == signing.public_key_text(first)
    assert UnitSigningKey.objects.filter(unit=world.unit_a).count() == 1


def test_the_published_keys_name_their_use_and_unit(world) -> None:
    unit_key(world.unit_a)
    entries = APIClient().get("/api/v1/signing-keys/").json()
    assert {entry["use"] for entry in entries} == {"push", "unit"}
    (unit_entry,) = [entry for entry in entries if entry["use"] == "unit"]
    assert set(unit_entry) == {"key_id", "algorithm", "public_key", "use", "unit"}
    assert unit_entry["unit"] == world.unit_a.code and unit_entry["algorithm"] == "ed25519"
    assert all("private" not in json.dumps(entry) for entry in entries)


def test_a_lookup_carries_no_instruction(world) -> None:
    assert "instruction" not in query_to_wire(world.query_a)
