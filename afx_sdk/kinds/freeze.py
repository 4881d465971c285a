"""Freezes by decision: `freeze` (an amount on an account, for a period), `freeze_renew` (another
period for the freeze of the case in force) and `freeze_release` (lifting it).

Like a stop-payment each carries the unit's signed instruction, which the bank verifies before it
acts; a renewal or release names the decision it is made under, and the bank finds the freeze
by the account and the case (`Query.case_reference`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..models import MalformedMessage, Query, parse_mapping, parse_text
from .stop_payment import (
    BankRefusal,
    amount_json,
    input_of,
    moment_json,
    optional_amount,
    optional_moment,
    optional_refusal,
    parse_amount,
    parse_choice,
)

FREEZE = "freeze"
FREEZE_RENEW = "freeze_renew"
FREEZE_RELEASE = "freeze_release"
FREEZE_MAX_DAYS = 180  # six months per decision; a renewal adds another period


class FreezeOutcome(StrEnum):
    FROZEN = "frozen"
    PARTIALLY_FROZEN = "partially_frozen"
    REFUSED = "refused"


class RenewOutcome(StrEnum):
    RENEWED = "renewed"
    REFUSED = "refused"


class ReleaseOutcome(StrEnum):
    RELEASED = "released"
    REFUSED = "refused"


def _period_days(data: Any) -> int:
    days = data.get("period_days", FREEZE_MAX_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= FREEZE_MAX_DAYS:
        raise MalformedMessage(f"`period_days` must be a whole number of days from 1 to {FREEZE_MAX_DAYS}.")
    return days


def _check_refusal(refused: bool, reason: BankRefusal | None, when: datetime | None, moment: str) -> None:
    """An instruction's result either took effect at a moment or was refused with a reason."""
    if refused != (reason is not None):
        raise MalformedMessage("`refusal_reason` is given exactly when the outcome is refused.")
    if refused == (when is not None):
        raise MalformedMessage(f"`{moment}` is given exactly when the instruction took effect.")


@dataclass(frozen=True)
class Freeze:
    """The input of a `freeze` query: how much to freeze on the account, under which decision."""

    account_number: str = field(repr=False)
    holder_name: str = field(repr=False)
    amount: Decimal
    decision_reference: str
    period_days: int = FREEZE_MAX_DAYS

    @classmethod
    def from_query(cls, query: Query) -> Freeze:
        return cls.from_json(input_of(query, FREEZE))

    @classmethod
    def from_json(cls, data: Any) -> Freeze:
        data = parse_mapping(data, "input")
        return cls(
            account_number=parse_text(data, "account_number"),
            holder_name=parse_text(data, "holder_name"),
            amount=parse_amount(data.get("amount"), "amount"),
            decision_reference=parse_text(data, "decision_reference"),
            period_days=_period_days(data),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "account_number": self.account_number,
            "holder_name": self.holder_name,
            "amount": str(self.amount),
            "decision_reference": self.decision_reference,
            "period_days": self.period_days,
        }


@dataclass(frozen=True)
class FreezeResult:
    """Frozen in full, partially (less than asked was there: `amount_frozen` says how much), or refused."""

    outcome: FreezeOutcome
    amount_frozen: Decimal | None = None
    frozen_at: datetime | None = None
    refusal_reason: BankRefusal | None = None

    def __post_init__(self) -> None:
        _check_refusal(
            self.outcome is FreezeOutcome.REFUSED, self.refusal_reason, self.frozen_at, "frozen_at"
        )
        if (self.frozen_at is None) != (self.amount_frozen is None):
            raise MalformedMessage("A freeze names the amount frozen and when it started.")
        if self.amount_frozen is not None and self.amount_frozen <= 0:
            raise MalformedMessage("`amount_frozen` must be positive.")

    @classmethod
    def frozen(cls, amount: Decimal, at: datetime, *, partially: bool = False) -> FreezeResult:
        outcome = FreezeOutcome.PARTIALLY_FROZEN if partially else FreezeOutcome.FROZEN
        return cls(outcome, amount_frozen=amount, frozen_at=at)

    @classmethod
    def refused(cls, reason: BankRefusal) -> FreezeResult:
        return cls(FreezeOutcome.REFUSED, refusal_reason=reason)

    @classmethod
    def from_json(cls, data: Any) -> FreezeResult:
        data = parse_mapping(data, "result")
        return cls(
            outcome=parse_choice(data.get("outcome"), "outcome", FreezeOutcome),
            amount_frozen=optional_amount(data, "amount_frozen"),
            frozen_at=optional_moment(data, "frozen_at"),
            refusal_reason=optional_refusal(data),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "amount_frozen": amount_json(self.amount_frozen),
            "frozen_at": moment_json(self.frozen_at),
            "refusal_reason": None if self.refusal_reason is None else self.refusal_reason.value,
        }


@dataclass(frozen=True)
class FreezeRenew:
    """The input of a `freeze_renew` query: another period, under a new decision."""

    account_number: str = field(repr=False)
    decision_reference: str
    period_days: int = FREEZE_MAX_DAYS

    @classmethod
    def from_query(cls, query: Query) -> FreezeRenew:
        return cls.from_json(input_of(query, FREEZE_RENEW))

    @classmethod
    def from_json(cls, data: Any) -> FreezeRenew:
        data = parse_mapping(data, "input")
        return cls(
            account_number=parse_text(data, "account_number"),
            decision_reference=parse_text(data, "decision_reference"),
            period_days=_period_days(data),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "account_number": self.account_number,
            "decision_reference": self.decision_reference,
            "period_days": self.period_days,
        }


@dataclass(frozen=True)
class FreezeRenewResult:
    outcome: RenewOutcome
    renewed_at: datetime | None = None
    refusal_reason: BankRefusal | None = None

    def __post_init__(self) -> None:
        _check_refusal(
            self.outcome is RenewOutcome.REFUSED, self.refusal_reason, self.renewed_at, "renewed_at"
        )

    @classmethod
    def renewed(cls, at: datetime) -> FreezeRenewResult:
        return cls(RenewOutcome.RENEWED, renewed_at=at)

    @classmethod
    def refused(cls, reason: BankRefusal) -> FreezeRenewResult:
        return cls(RenewOutcome.REFUSED, refusal_reason=reason)

    @classmethod
    def from_json(cls, data: Any) -> FreezeRenewResult:
        data = parse_mapping(data, "result")
        return cls(
            outcome=parse_choice(data.get("outcome"), "outcome", RenewOutcome),
            renewed_at=optional_moment(data, "renewed_at"),
            refusal_reason=optional_refusal(data),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "renewed_at": moment_json(self.renewed_at),
            "refusal_reason": None if self.refusal_reason is None else self.refusal_reason.value,
        }


@dataclass(frozen=True)
class FreezeRelease:
    """The input of a `freeze_release` query: the decision that lifts the case's freeze."""

    account_number: str = field(repr=False)
    decision_reference: str

    @classmethod
    def from_query(cls, query: Query) -> FreezeRelease:
        return cls.from_json(input_of(query, FREEZE_RELEASE))

    @classmethod
    def from_json(cls, data: Any) -> FreezeRelease:
        data = parse_mapping(data, "input")
        return cls(
            account_number=parse_text(data, "account_number"),
            decision_reference=parse_text(data, "decision_reference"),
        )

    def to_json(self) -> dict[str, Any]:
        return {"account_number": self.account_number, "decision_reference": self.decision_reference}


@dataclass(frozen=True)
class FreezeReleaseResult:
    outcome: ReleaseOutcome
    released_at: datetime | None = None
    refusal_reason: BankRefusal | None = None

    def __post_init__(self) -> None:
        _check_refusal(
            self.outcome is ReleaseOutcome.REFUSED, self.refusal_reason, self.released_at, "released_at"
        )

    @classmethod
    def released(cls, at: datetime) -> FreezeReleaseResult:
        return cls(ReleaseOutcome.RELEASED, released_at=at)

    @classmethod
    def refused(cls, reason: BankRefusal) -> FreezeReleaseResult:
        return cls(ReleaseOutcome.REFUSED, refusal_reason=reason)

    @classmethod
    def from_json(cls, data: Any) -> FreezeReleaseResult:
        data = parse_mapping(data, "result")
        return cls(
            outcome=parse_choice(data.get("outcome"), "outcome", ReleaseOutcome),
            released_at=optional_moment(data, "released_at"),
            refusal_reason=optional_refusal(data),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "released_at": moment_json(self.released_at),
            "refusal_reason": None if self.refusal_reason is None else self.refusal_reason.value,
        }
