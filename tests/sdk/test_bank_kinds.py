"""The banks' kinds in the SDK: the gateway's schemas, parsed strictly, serialised back the same,
personal values out of repr."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from afx_sdk import (
    AccountTransfers,
    AccountTransfersResult,
    Answer,
    BankRefusal,
    Channel,
    CheckedField,
    Freeze,
    FreezeRelease,
    FreezeReleaseResult,
    FreezeRenew,
    FreezeRenewResult,
    FreezeResult,
    MalformedMessage,
    Query,
    StopPayment,
    StopPaymentResult,
    Transfer,
)
from tests.sdk.conftest import query_json

AT = "2025-03-01T10:00:00+08:00"
ACCOUNT = "6222020000000001"
TRANSFERS = {
    "holder_name": "王芳",
    "holder_id_number": "000000199001010011",
    "balance": "0.00",
    "transfers": [
        {
            "to_account": "6228480000000002",
            "to_bank": "中国农业银行",
            "amount": "500.00",
            "at": AT,
            "channel": "mobile_banking",
        },
        {"to_account": None, "to_bank": "", "amount": "50.00", "at": AT, "channel": "cash_withdrawal"},
    ],
}


def query(kind: str, data: dict) -> Query:
    return Query.from_json({**query_json("x"), "kind": kind, "input": data})


@pytest.mark.parametrize(
    ("kind", "input_type", "data"),
    [
        (
            "account_transfers",
            AccountTransfers,
            {"account_number": ACCOUNT, "window_start": AT, "window_end": None},
        ),
        (
            "stop_payment",
            StopPayment,
            {"account_number": ACCOUNT, "holder_name": "王芳", "amount": "1000.00", "transaction_at": AT},
        ),
        (
            "freeze",
            Freeze,
            {
                "account_number": ACCOUNT,
                "holder_name": "王芳",
                "amount": "1000.00",
                "decision_reference": "公冻字2025-17号",
                "period_days": 180,
            },
        ),
        (
            "freeze_renew",
            FreezeRenew,
            {"account_number": ACCOUNT, "decision_reference": "R-1", "period_days": 90},
        ),
        ("freeze_release", FreezeRelease, {"account_number": ACCOUNT, "decision_reference": "L-1"}),
    ],
)
def test_inputs_round_trip_and_refuse_another_kind(kind, input_type, data):
    parsed = input_type.from_query(query(kind, data))
    assert parsed.to_json() == data
    assert ACCOUNT not in repr(parsed) and "王芳" not in repr(parsed)
    with pytest.raises(MalformedMessage, match="not a"):
        input_type.from_query(query("order_lookup", data))


@pytest.mark.parametrize(
    ("input_type", "data", "field"),
    [
        (
            StopPayment,
            {"account_number": ACCOUNT, "holder_name": "王", "amount": "0", "transaction_at": AT},
            "amount",
        ),
        (
            StopPayment,
            {
                "account_number": ACCOUNT,
                "holder_name": "王",
                "amount": "1",
                "transaction_at": "2025-03-01T10:00",
            },
            "offset",
        ),
        (
            StopPayment,
            {"account_number": ACCOUNT, "holder_name": "", "amount": "1", "transaction_at": AT},
            "holder_name",
        ),
        (
            Freeze,
            {
                "account_number": ACCOUNT,
                "holder_name": "王",
                "amount": "1",
                "decision_reference": "D",
                "period_days": 181,
            },
            "period_days",
        ),
        (
            FreezeRenew,
            {"account_number": ACCOUNT, "decision_reference": "D", "period_days": True},
            "period_days",
        ),
        (
            AccountTransfers,
            {"account_number": ACCOUNT, "window_start": AT, "window_end": "2025-02-01T00:00:00+08:00"},
            "window_end",
        ),
    ],
)
def test_bad_inputs_name_the_field(input_type, data, field):
    with pytest.raises(MalformedMessage, match=field):
        input_type.from_json(data)


def test_account_transfers_result_round_trip_and_repr():
    result = AccountTransfersResult.from_json(TRANSFERS)
    assert result.to_json() == TRANSFERS
    assert result.transfers[1].channel is Channel.CASH_WITHDRAWAL
    assert Answer.from_json(Answer.answered(result).to_json(), AccountTransfersResult) == Answer.answered(
        result
    )
    shown = repr(result)
    assert "王芳" not in shown and "000000199001010011" not in shown and "6228480000000002" not in shown


@pytest.mark.parametrize(
    "transfer",
    [
        {"to_account": None, "to_bank": "", "amount": "5", "at": AT, "channel": "online_banking"},
        {"to_account": ACCOUNT, "to_bank": "", "amount": "5", "at": AT, "channel": "cash_withdrawal"},
        {"to_account": ACCOUNT, "to_bank": "", "amount": "5", "at": AT, "channel": "carrier_pigeon"},
        {"to_account": ACCOUNT, "to_bank": "", "amount": "-5", "at": AT, "channel": "online_banking"},
    ],
)
def test_a_transfer_is_to_an_account_or_cash_never_both(transfer):
    with pytest.raises(MalformedMessage):
        Transfer.from_json(transfer)


NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
RESULTS = [
    StopPaymentResult.stopped(Decimal("800.00"), NOW),
    StopPaymentResult.not_matched(CheckedField.HOLDER_NAME, CheckedField.AMOUNT),
    StopPaymentResult.refused(BankRefusal.NO_FUNDS),
    FreezeResult.frozen(Decimal("10.00"), NOW),
    FreezeResult.frozen(Decimal("5.00"), NOW, partially=True),
    FreezeResult.refused(BankRefusal.SIGNATURE_INVALID),
    FreezeRenewResult.renewed(NOW),
    FreezeRenewResult.refused(BankRefusal.NO_ACTIVE_FREEZE),
    FreezeReleaseResult.released(NOW),
    FreezeReleaseResult.refused(BankRefusal.NO_ACTIVE_FREEZE),
]


@pytest.mark.parametrize("result", RESULTS)
def test_results_round_trip(result):
    assert type(result).from_json(result.to_json()) == result


def test_stop_payment_result_wire_form():
    assert StopPaymentResult.not_matched(CheckedField.TRANSACTION_TIME).to_json() == {
        "outcome": "not_matched",
        "amount_held": None,
        "stopped_at": None,
        "mismatched": ["transaction_time"],
        "refusal_reason": None,
    }
    assert (
        FreezeResult.frozen(Decimal("5.00"), NOW, partially=True).to_json()["outcome"] == "partially_frozen"
    )


@pytest.mark.parametrize(
    ("result_type", "data"),
    [
        (StopPaymentResult, {"outcome": "stopped", "amount_held": None, "stopped_at": None}),
        (StopPaymentResult, {"outcome": "not_matched", "mismatched": []}),
        (StopPaymentResult, {"outcome": "not_matched", "mismatched": ["balance"]}),
        (StopPaymentResult, {"outcome": "refused", "refusal_reason": "we_said_no"}),
        (FreezeResult, {"outcome": "frozen", "amount_frozen": "1.00"}),
        (FreezeResult, {"outcome": "refused"}),
        (FreezeRenewResult, {"outcome": "renewed"}),
        (FreezeReleaseResult, {"outcome": "released", "released_at": AT, "refusal_reason": "other"}),
    ],
)
def test_inconsistent_results_are_refused(result_type, data):
    with pytest.raises(MalformedMessage):
        result_type.from_json(data)


def test_the_instruction_travels_with_the_query_but_not_in_its_repr():
    instruction = {"unit": "unit-a", "key_id": "0011223344556677", "signature": "c2lnbmF0dXJl"}
    data = {**query_json("x"), "instruction": instruction}
    parsed = Query.from_json(data)
    assert parsed.instruction == instruction
    assert parsed.to_json() == data
    assert "c2lnbmF0dXJl" not in repr(parsed)
    assert "instruction" not in Query.from_json(query_json("x")).to_json()
    with pytest.raises(MalformedMessage, match="instruction"):
        Query.from_json({**data, "instruction": "signed"})
