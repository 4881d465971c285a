"""The messages of the wire contract as typed, immutable dataclasses.

What every kind shares lives here: the `Query` envelope and the `Answer`, generic over its
kind's result. What one kind takes and answers lives in its module of `afx_sdk.kinds`
(`afx_sdk.kinds.order_lookup`). Parsing is strict: a message that does not match the
contract raises `MalformedMessage` at the edge, so handlers only ever see well-formed
values (aware datetimes, `Decimal` amounts). Personal values are left out of `repr()`, so
logging a message by accident does not write an account number or a name to a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, Protocol, Self, TypeVar


class MalformedMessage(ValueError):
    """A message does not follow the wire contract; the text names the field, never its value."""


class AnswerStatus(StrEnum):
    ANSWERED = "answered"
    NOT_FOUND = "not_found"
    FAILED = "failed"


def parse_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedMessage(f"`{key}` must be a non-empty string.")
    return value


def parse_mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedMessage(f"`{key}` must be an object.")
    return value


def parse_datetime(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedMessage(f"`{key}` must be an ISO 8601 string.")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise MalformedMessage(f"`{key}` is not an ISO 8601 date and time.") from None


def parse_decimal(value: Any, key: str) -> Decimal:
    if not isinstance(value, str):
        raise MalformedMessage(f'`{key}` must be a decimal string such as "123.45".')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise MalformedMessage(f"`{key}` is not a decimal number.") from None
    if not amount.is_finite():
        raise MalformedMessage(f"`{key}` is not a finite number.")
    return amount


class Result(Protocol):
    """What a kind's answer holds (e.g. `afx_sdk.kinds.order_lookup.OrderLookupResult`)."""

    @classmethod
    def from_json(cls, data: Any) -> Self: ...

    def to_json(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Result)


@dataclass(frozen=True)
class Query:
    """One request from the gateway. `input` depends on `kind`: read it with the kind's input
    type (`afx_sdk.kinds.order_lookup.OrderLookup.from_query`). `instruction` is the unit's
    signature on a stop-payment or freeze (`afx_sdk.instructions.verify_query`), None otherwise."""

    id: str
    kind: str
    partner: str
    case_reference: str
    input: Mapping[str, Any] = field(repr=False)
    deadline: datetime
    created_at: datetime
    instruction: Mapping[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Query:
        data = parse_mapping(data, "query")
        instruction = data.get("instruction")
        return cls(
            id=parse_text(data, "id"),
            kind=parse_text(data, "kind"),
            partner=parse_text(data, "partner"),
            case_reference=parse_text(data, "case_reference"),
            input=parse_mapping(data.get("input"), "input"),
            deadline=parse_datetime(data.get("deadline"), "deadline"),
            created_at=parse_datetime(data.get("created_at"), "created_at"),
            instruction=None if instruction is None else parse_mapping(instruction, "instruction"),
        )

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "partner": self.partner,
            "case_reference": self.case_reference,
            "input": dict(self.input),
            "deadline": self.deadline.isoformat(),
            "created_at": self.created_at.isoformat(),
        }
        if self.instruction is not None:
            message["instruction"] = dict(self.instruction)
        return message


@dataclass(frozen=True)
class Answer(Generic[R]):
    """An adapter's reply, with its kind's result type. Build it with `answered`, `not_found`
    or `failed`, which keep it consistent.

    `reason` is for people reading the query's history: short, and never personal data.
    """

    status: AnswerStatus
    result: R | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.status is AnswerStatus.ANSWERED) != (self.result is not None):
            raise MalformedMessage("An answer carries a result exactly when its status is `answered`.")

    @classmethod
    def answered(cls, result: R) -> Answer[R]:
        return cls(AnswerStatus.ANSWERED, result)

    @classmethod
    def not_found(cls, reason: str = "") -> Answer[Any]:
        return cls(AnswerStatus.NOT_FOUND, reason=reason)

    @classmethod
    def failed(cls, reason: str = "") -> Answer[Any]:
        return cls(AnswerStatus.FAILED, reason=reason)

    @classmethod
    def from_json(cls, data: Any, result_type: type[R]) -> Answer[R]:
        """Parse an answer whose result, if any, is a `result_type` (its kind's result)."""
        data = parse_mapping(data, "answer")
        try:
            status = AnswerStatus(data.get("status"))
        except ValueError:
            raise MalformedMessage("`status` must be answered, not_found or failed.") from None
        result = data.get("result")
        reason = data.get("reason") or ""
        if not isinstance(reason, str):
            raise MalformedMessage("`reason` must be a string.")
        return cls(status, None if result is None else result_type.from_json(result), reason)

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "status": self.status.value,
            "result": None if self.result is None else self.result.to_json(),
        }
        if self.reason:
            message["reason"] = self.reason
        return message
