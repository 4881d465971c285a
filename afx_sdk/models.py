"""The messages of the wire contract as typed, immutable dataclasses.

Parsing is strict: a message that does not match the contract raises `MalformedMessage`
at the edge, so handlers only ever see well-formed values (aware datetimes, `Decimal`
amounts). Personal values are left out of `repr()`, so logging a message by accident
does not write an account number or a name to a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

ORDER_LOOKUP = "order_lookup"


class MalformedMessage(ValueError):
    """A message does not follow the wire contract; the text names the field, never its value."""


class AnswerStatus(StrEnum):
    ANSWERED = "answered"
    NOT_FOUND = "not_found"
    FAILED = "failed"


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedMessage(f"`{key}` must be a non-empty string.")
    return value


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedMessage(f"`{key}` must be an object.")
    return value


def _datetime(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedMessage(f"`{key}` must be an ISO 8601 string.")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise MalformedMessage(f"`{key}` is not an ISO 8601 date and time.") from None


def _decimal(value: Any, key: str) -> Decimal:
    if not isinstance(value, str):
        raise MalformedMessage(f'`{key}` must be a decimal string such as "123.45".')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise MalformedMessage(f"`{key}` is not a decimal number.") from None
    if not amount.is_finite():
        raise MalformedMessage(f"`{key}` is not a finite number.")
    return amount


@dataclass(frozen=True)
class Query:
    """One request from the gateway. `input` depends on `kind`; see `OrderLookup` for order lookups."""

    id: str
    kind: str
    partner: str
    case_reference: str
    input: Mapping[str, Any] = field(repr=False)
    deadline: datetime
    created_at: datetime

    @classmethod
    def from_json(cls, data: Any) -> Query:
        data = _mapping(data, "query")
        return cls(
            id=_text(data, "id"),
            kind=_text(data, "kind"),
            partner=_text(data, "partner"),
            case_reference=_text(data, "case_reference"),
            input=_mapping(data.get("input"), "input"),
            deadline=_datetime(data.get("deadline"), "deadline"),
            created_at=_datetime(data.get("created_at"), "created_at"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "partner": self.partner,
            "case_reference": self.case_reference,
            "input": dict(self.input),
            "deadline": self.deadline.isoformat(),
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class OrderLookup:
    """The input of an `order_lookup` query; `amount` and `paid_at` are the officer's optional hints."""

    order_number: str = field(repr=False)
    amount: Decimal | None = None
    paid_at: datetime | None = None

    @classmethod
    def from_query(cls, query: Query) -> OrderLookup:
        if query.kind != ORDER_LOOKUP:
            raise MalformedMessage(f"A `{query.kind}` query is not an order lookup.")
        data = query.input
        amount, paid_at = data.get("amount"), data.get("paid_at")
        return cls(
            order_number=_text(data, "order_number"),
            amount=None if amount is None else _decimal(amount, "amount"),
            paid_at=None if paid_at is None else _datetime(paid_at, "paid_at"),
        )


@dataclass(frozen=True)
class AnswerResult:
    """What an answered order lookup found: the account the money went to, and the payment."""

    bank: str
    account_number: str = field(repr=False)
    holder_name: str = field(repr=False)
    amount: Decimal
    paid_at: datetime

    @classmethod
    def from_json(cls, data: Any) -> AnswerResult:
        data = _mapping(data, "result")
        return cls(
            bank=_text(data, "bank"),
            account_number=_text(data, "account_number"),
            holder_name=_text(data, "holder_name"),
            amount=_decimal(data.get("amount"), "amount"),
            paid_at=_datetime(data.get("paid_at"), "paid_at"),
        )

    def to_json(self) -> dict[str, str]:
        return {
            "bank": self.bank,
            "account_number": self.account_number,
            "holder_name": self.holder_name,
            "amount": str(self.amount),
            "paid_at": self.paid_at.isoformat(),
        }


@dataclass(frozen=True)
class Answer:
    """An adapter's reply. Build it with `answered`, `not_found` or `failed`, which keep it consistent.

    `reason` is for people reading the query's history: short, and never personal data.
    """

    status: AnswerStatus
    result: AnswerResult | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.status is AnswerStatus.ANSWERED) != (self.result is not None):
            raise MalformedMessage("An answer carries a result exactly when its status is `answered`.")

    @classmethod
    def answered(cls, result: AnswerResult) -> Answer:
        return cls(AnswerStatus.ANSWERED, result)

    @classmethod
    def not_found(cls, reason: str = "") -> Answer:
        return cls(AnswerStatus.NOT_FOUND, reason=reason)

    @classmethod
    def failed(cls, reason: str = "") -> Answer:
        return cls(AnswerStatus.FAILED, reason=reason)

    @classmethod
    def from_json(cls, data: Any) -> Answer:
        data = _mapping(data, "answer")
        try:
            status = AnswerStatus(data.get("status"))
        except ValueError:
            raise MalformedMessage("`status` must be answered, not_found or failed.") from None
        result = data.get("result")
        reason = data.get("reason") or ""
        if not isinstance(reason, str):
            raise MalformedMessage("`reason` must be a string.")
        return cls(status, None if result is None else AnswerResult.from_json(result), reason)

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "status": self.status.value,
            "result": None if self.result is None else self.result.to_json(),
        }
        if self.reason:
            message["reason"] = self.reason
        return message
