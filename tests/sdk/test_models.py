"""The contract's messages: round trips through JSON, strict parsing, no personal data in repr."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from afx_sdk import Answer, AnswerStatus, MalformedMessage, OrderLookup, OrderLookupResult, Query
from tests.sdk.conftest import query_json

RESULT = OrderLookupResult(
    bank="中国银行",
    account_number="6216613743478780711",
    holder_name="丁俊燕",
    amount=Decimal("1118.92"),
    paid_at=datetime(2025, 4, 24, 3, 8, 19, tzinfo=UTC),
)


def test_query_round_trip():
    data = query_json("PL20250424182451853")
    query = Query.from_json(data)
    assert query.to_json() == data
    assert Query.from_json(query.to_json()) == query
    assert query.deadline.tzinfo is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", ""), ("kind", None), ("input", "PL1"), ("deadline", "tomorrow"), ("created_at", 17)],
)
def test_query_parsing_names_the_bad_field(field, value):
    with pytest.raises(MalformedMessage, match=field):
        Query.from_json({**query_json("PL1"), field: value})


def test_order_lookup_input():
    data = query_json("PL20250424182451853")
    data["input"] = {
        "order_number": "PL20250424182451853",
        "amount": "12.30",
        "paid_at": "2025-04-24T03:08:19Z",
    }
    lookup = OrderLookup.from_query(Query.from_json(data))
    assert lookup.amount == Decimal("12.30")
    assert lookup.paid_at == datetime(2025, 4, 24, 3, 8, 19, tzinfo=UTC)
    with pytest.raises(MalformedMessage, match="amount"):
        OrderLookup.from_query(Query.from_json({**data, "input": {"order_number": "x", "amount": "1e"}}))
    with pytest.raises(MalformedMessage, match="not an order lookup"):
        OrderLookup.from_query(Query.from_json({**data, "kind": "account_trace"}))


@pytest.mark.parametrize(
    "answer",
    [Answer.answered(RESULT), Answer.not_found(reason="No order with this number."), Answer.failed()],
)
def test_answer_round_trip(answer):
    assert Answer.from_json(answer.to_json(), OrderLookupResult) == answer


def test_answer_json_matches_the_contract():
    assert Answer.answered(RESULT).to_json() == {
        "status": "answered",
        "result": {
            "bank": "中国银行",
            "account_number": "6216613743478780711",
            "holder_name": "丁俊燕",
            "amount": "1118.92",
            "paid_at": "2025-04-24T03:08:19+00:00",
        },
    }
    assert Answer.not_found("gone").to_json() == {"status": "not_found", "result": None, "reason": "gone"}


def test_answer_status_and_result_agree():
    with pytest.raises(MalformedMessage):
        Answer(AnswerStatus.ANSWERED)
    with pytest.raises(MalformedMessage):
        Answer(AnswerStatus.NOT_FOUND, RESULT)
    with pytest.raises(MalformedMessage, match="status"):
        Answer.from_json({"status": "maybe", "result": None}, OrderLookupResult)


def test_repr_leaves_out_personal_data():
    shown = repr(Answer.answered(RESULT)) + repr(Query.from_json(query_json("PL20250424182451853")))
    assert "6216613743478780711" not in shown
    assert "丁俊燕" not in shown
    assert "PL20250424182451853" not in shown
