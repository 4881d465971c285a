"""The unit-signed instruction: it verifies for the unit that signed it and for nothing else,
and the units' keys come from the gateway's published list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afx_sdk import InstructionError, Query, fetch_unit_keys, signing, verify_query
from afx_sdk.instructions import sign, signed_bytes, verify
from tests.sdk.conftest import GATEWAY_PUBLIC_KEY, KEY_ID, PRIVATE_KEY
from tests.sdk.contract_gateway import ContractGateway

UNIT_KEY = signing.load_private_key("YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8")
OTHER_UNIT_KEY = signing.load_private_key("gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8")
UNIT_KEY_ID = signing.key_fingerprint(UNIT_KEY.public_key())
OTHER_KEY_ID = signing.key_fingerprint(OTHER_UNIT_KEY.public_key())
UNIT_KEYS = {
    UNIT_KEY_ID: ("unit-a", UNIT_KEY.public_key()),
    OTHER_KEY_ID: ("unit-b", OTHER_UNIT_KEY.public_key()),
}


def message() -> dict:
    now = datetime.now(UTC)
    return {
        "id": "5f0c7a52-9d7e-4b1e-9a55-0d2a3c1b7e10",
        "kind": "stop_payment",
        "partner": "bank-east",
        "case_reference": "case-0001",
        "input": {
            "account_number": "6222020000000001",
            "holder_name": "王芳",
            "amount": "1000.00",
            "transaction_at": "2025-03-01T10:00:00+08:00",
        },
        "deadline": (now + timedelta(seconds=60)).isoformat(),
        "created_at": now.isoformat(),
    }


def signed(unit: str = "unit-a", key=UNIT_KEY) -> dict:
    data = message()
    return {**data, "instruction": sign(data, unit, key)}


def test_a_signed_instruction_verifies_for_its_unit():
    data = signed()
    assert verify(data, UNIT_KEYS, partner="bank-east") == "unit-a"
    assert data["instruction"]["key_id"] == UNIT_KEY_ID
    assert verify_query(Query.from_json(data), UNIT_KEYS, partner="bank-east") == "unit-a"  # parsed too

    assert signed_bytes(data, "unit-a").startswith(b"afx-instruction-v1\n")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["input"].update(amount="1000.01"),
        lambda d: d["input"].update(holder_name="王芳芳"),
        lambda d: d.update(case_reference="case-0002"),
        lambda d: d.update(partner="bank-river"),
        lambda d: d.update(kind="freeze"),
        lambda d: d.update(created_at="2020-01-01T00:00:00+00:00"),
        # Another first character, always: a fixed replacement is no change when it is already there.
        lambda d: d["instruction"].update(signature=_other_first(d["instruction"]["signature"])),
        lambda d: d["instruction"].update(signature="not base64!"),
    ],
)
def test_any_change_to_what_was_signed_is_refused(tamper):
    data = signed()
    tamper(data)
    with pytest.raises(InstructionError, match="does not verify"):
        verify(data, UNIT_KEYS, partner=data["partner"])  # re-addressed, it must still fail


def test_an_instruction_to_another_bank_is_refused():
    with pytest.raises(InstructionError):
        verify(signed(), UNIT_KEYS, partner="bank-river")


def test_the_deadline_is_not_signed():
    data = signed()
    data["deadline"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        verify(data, UNIT_KEYS, partner="bank-east") == "unit-a"
    )  # the gateway may extend a deadline, not the order


@pytest.mark.parametrize(
    ("data", "message_part"),
    [
        (signed(unit="unit-b"), "not the unit's published key"),  # unit-a's key claimed for unit-b
        (signed(unit="unit-a", key=OTHER_UNIT_KEY), "not the unit's published key"),  # unit-b's key
        (signed(key=signing.load_private_key("oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8")), "not the unit"),
        (message(), "no signed instruction"),
        ({**message(), "instruction": {"unit": "unit-a"}}, "lacks"),
    ],
)
def test_wrong_unit_unknown_key_or_no_instruction_is_refused(data, message_part):
    with pytest.raises(InstructionError, match=message_part):
        verify(data, UNIT_KEYS, partner="bank-east")


def published(entries: list[dict]) -> ContractGateway:
    return ContractGateway(key_id=KEY_ID, public_key=PRIVATE_KEY.public_key(), published=entries).start()


def unit_entry(key, unit: str, key_id: str | None = None) -> dict:
    return {
        "key_id": key_id or signing.key_fingerprint(key.public_key()),
        "algorithm": "ed25519",
        "public_key": signing.public_key_text(key),
        "use": "unit",
        "unit": unit,
    }


def test_fetch_unit_keys_reads_the_units_entries_only():
    gateway = published(
        [
            {"key_id": "gw", "algorithm": "ed25519", "public_key": GATEWAY_PUBLIC_KEY, "use": "push"},
            unit_entry(UNIT_KEY, "unit-a"),
            unit_entry(OTHER_UNIT_KEY, "unit-b"),
        ]
    )
    try:
        keys = fetch_unit_keys(gateway.url)
    finally:
        gateway.stop()
    assert {key_id: unit for key_id, (unit, _) in keys.items()} == {
        UNIT_KEY_ID: "unit-a",
        OTHER_KEY_ID: "unit-b",
    }
    assert verify(signed(), keys, partner="bank-east") == "unit-a"


def test_fetch_unit_keys_refuses_a_key_not_named_by_its_fingerprint_and_plain_http():
    gateway = published([unit_entry(UNIT_KEY, "unit-a", key_id=OTHER_KEY_ID)])
    try:
        with pytest.raises(ValueError, match="fingerprint"):
            fetch_unit_keys(gateway.url)
    finally:
        gateway.stop()
    with pytest.raises(ValueError, match="https"):
        fetch_unit_keys("http://gateway.example")


def _other_first(signature: str) -> str:
    return ("B" if signature[0] == "A" else "A") + signature[1:]
