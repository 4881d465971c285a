"""Emergency stop-payment: the unit names an account, its holder, and the amount and time of the
credit the money came in with; the bank checks all four and stops at once, or says which did not
match, or refuses with a reason.

The query carries the unit's signed instruction (`afx_sdk.instructions`): a bank verifies it
before it acts and answers `refused` / `signature_invalid` when it does not verify. The refusal
codes and the strict parsers here are shared with the freeze kinds (`afx_sdk.kinds.freeze`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from ..models import MalformedMessage, Query, parse_datetime, parse_decimal, parse_mapping, parse_text

STOP_PAYMENT = "stop_payment"

E = TypeVar("E", bound=StrEnum)


class BankRefusal(StrEnum):
    """Why a bank refuses an instruction: codes only, since a bank's own words could name its customer."""

    ACCOUNT_CLOSED = "account_closed"
    NOT_OUR_ACCOUNT = "not_our_account"
    NO_FUNDS = "no_funds"
    ALREADY_HELD = "already_held"
    LIMIT_REACHED = "limit_reached"
    NO_ACTIVE_FREEZE = "no_active_freeze"
    SIGNATURE_INVALID = "signature_invalid"
    OTHER = "other"


class StopOutcome(StrEnum):
    STOPPED = "stopped"
    NOT_MATCHED = "not_matched"
    REFUSED = "refused"


class CheckedField(StrEnum):
    """The four values the bank checks; a mismatch names which, never the bank's own value."""

    HOLDER_NAME = "holder_name"
    ACCOUNT_NUMBER = "account_number"
    AMOUNT = "amount"
    TRANSACTION_TIME = "transaction_time"


def parse_choice(value: Any, key: str, choices: type[E]) -> E:
    try:
        return choices(value)
    except ValueError:
        raise MalformedMessage(f"`{key}` must be one of {', '.join(choices)}.") from None


def parse_moment(value: Any, key: str) -> datetime:
    """An ISO 8601 time with its offset: a time without one would be read in the reader's zone."""
    moment = parse_datetime(value, key)
    if moment.tzinfo is None:
        raise MalformedMessage(f"`{key}` must carry its UTC offset.")
    return moment


def parse_amount(value: Any, key: str, *, positive: bool = True) -> Decimal:
    amount = parse_decimal(value, key)
    if amount < 0 or (positive and amount == 0):
        raise MalformedMessage(f"`{key}` must be {'positive' if positive else 'zero or more'}.")
    return amount


def optional_moment(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    return None if value is None else parse_moment(value, key)


def optional_amount(data: Mapping[str, Any], key: str) -> Decimal | None:
    value = data.get(key)
    return None if value is None else parse_amount(value, key)


def optional_refusal(data: Mapping[str, Any]) -> BankRefusal | None:
    value = data.get("refusal_reason")
    return None if value is None else parse_choice(value, "refusal_reason", BankRefusal)


def moment_json(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def amount_json(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def input_of(query: Query, kind: str) -> Mapping[str, Any]:
    if query.kind != kind:
        raise MalformedMessage(f"A `{query.kind}` query is not a {kind} query.")
    return query.input


@dataclass(frozen=True)
class StopPayment:
    """The input of a `stop_payment` query: the account and the credit to check it against."""

    account_number: str = field(repr=False)
    holder_name: str = field(repr=False)
    amount: Decimal
    transaction_at: datetime

    @classmethod
    def from_query(cls, query: Query) -> StopPayment:
        return cls.from_json(input_of(query, STOP_PAYMENT))

    @classmethod
    def from_json(cls, data: Any) -> StopPayment:
        data = parse_mapping(data, "input")
        return cls(
            account_number=parse_text(data, "account_number"),
            holder_name=parse_text(data, "holder_name"),
            amount=parse_amount(data.get("amount"), "amount"),
            transaction_at=parse_moment(data.get("transaction_at"), "transaction_at"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "account_number": self.account_number,
            "holder_name": self.holder_name,
            "amount": str(self.amount),
            "transaction_at": self.transaction_at.isoformat(),
        }


@dataclass(frozen=True)
class StopPaymentResult:
    """The bank's result message. Build it with `stopped`, `not_matched` or `refused`, which
    keep it consistent (a stop names the amount held and its start; a mismatch names fields)."""

    outcome: StopOutcome
    amount_held: Decimal | None = None
    stopped_at: datetime | None = None
    mismatched: tuple[CheckedField, ...] = ()
    refusal_reason: BankRefusal | None = None

    def __post_init__(self) -> None:
        stopped = self.outcome is StopOutcome.STOPPED
        if stopped != (self.amount_held is not None and self.stopped_at is not None):
            raise MalformedMessage("A stop names the amount held and when it started, and only a stop does.")
        if (self.outcome is StopOutcome.NOT_MATCHED) != bool(self.mismatched):
            raise MalformedMessage("`mismatched` names the fields exactly when the outcome is not_matched.")
        if (self.outcome is StopOutcome.REFUSED) != (self.refusal_reason is not None):
            raise MalformedMessage("`refusal_reason` is given exactly when the outcome is refused.")
        if self.amount_held is not None and self.amount_held <= 0:
            raise MalformedMessage("`amount_held` must be positive.")

    @classmethod
    def stopped(cls, amount_held: Decimal, stopped_at: datetime) -> StopPaymentResult:
        return cls(StopOutcome.STOPPED, amount_held=amount_held, stopped_at=stopped_at)

    @classmethod
    def not_matched(cls, *fields: CheckedField) -> StopPaymentResult:
        return cls(StopOutcome.NOT_MATCHED, mismatched=tuple(fields))

    @classmethod
    def refused(cls, reason: BankRefusal) -> StopPaymentResult:
        return cls(StopOutcome.REFUSED, refusal_reason=reason)

    @classmethod
    def from_json(cls, data: Any) -> StopPaymentResult:
        data = parse_mapping(data, "result")
        mismatched = data.get("mismatched") or []
        if not isinstance(mismatched, list) or len(mismatched) > len(CheckedField):
            raise MalformedMessage("`mismatched` must be a list of the checked fields.")
        return cls(
            outcome=parse_choice(data.get("outcome"), "outcome", StopOutcome),
            amount_held=optional_amount(data, "amount_held"),
            stopped_at=optional_moment(data, "stopped_at"),
            mismatched=tuple(parse_choice(item, "mismatched", CheckedField) for item in mismatched),
            refusal_reason=optional_refusal(data),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "amount_held": amount_json(self.amount_held),
            "stopped_at": moment_json(self.stopped_at),
            "mismatched": [item.value for item in self.mismatched],
            "refusal_reason": None if self.refusal_reason is None else self.refusal_reason.value,
        }
