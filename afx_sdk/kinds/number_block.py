"""Number block: a police unit asks a telecom operator to block a phone number used in a fraud.

The query names one number, the reason (a code) and the period in days (1 to 365, 180 unless
the unit said otherwise). The operator answers for the number: `blocked` until a time,
`already_blocked` until the end of the block in force, or `refused` with a reason code
(`protected_number` for an emergency or government number), never free text, since an
operator's own words could name its subscriber.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..models import MalformedMessage, Query, parse_mapping, parse_text
from .stop_payment import input_of, moment_json, optional_moment, parse_choice

NUMBER_BLOCK = "number_block"

PERIOD_MIN_DAYS = 1
PERIOD_MAX_DAYS = 365
PERIOD_DEFAULT_DAYS = 180
MAX_PHONE_LENGTH = 24


class BlockReason(StrEnum):
    """Why the unit asks for the block: what the number was used for."""

    FRAUD_CALL = "fraud_call"
    FRAUD_SMS = "fraud_sms"
    IMPERSONATION = "impersonation"
    FAKE_CUSTOMER_SERVICE = "fake_customer_service"
    PHISHING_LINK = "phishing_link"
    MONEY_MULE_CONTACT = "money_mule_contact"


class BlockOutcome(StrEnum):
    BLOCKED = "blocked"
    ALREADY_BLOCKED = "already_blocked"
    REFUSED = "refused"


class TelecomRefusal(StrEnum):
    """Why an operator refuses a block: codes only."""

    PROTECTED_NUMBER = "protected_number"
    NOT_OUR_NUMBER = "not_our_number"
    NUMBER_INACTIVE = "number_inactive"
    OTHER = "other"


def _phone(data: Any, key: str) -> str:
    value = parse_text(data, key)
    if len(value) > MAX_PHONE_LENGTH:
        raise MalformedMessage(f"`{key}` is too long for a phone number.")
    return value


def _period(value: Any) -> int:
    if value is None:
        return PERIOD_DEFAULT_DAYS
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedMessage("`period_days` must be a whole number of days.")
    if not PERIOD_MIN_DAYS <= value <= PERIOD_MAX_DAYS:
        raise MalformedMessage(f"`period_days` is from {PERIOD_MIN_DAYS} to {PERIOD_MAX_DAYS}.")
    return value


@dataclass(frozen=True)
class NumberBlock:
    """The input of a `number_block` query: the number, why, and for how many days."""

    phone_number: str = field(repr=False)
    reason: BlockReason
    period_days: int = PERIOD_DEFAULT_DAYS

    def __post_init__(self) -> None:
        _period(self.period_days)

    @classmethod
    def from_query(cls, query: Query) -> NumberBlock:
        return cls.from_json(input_of(query, NUMBER_BLOCK))

    @classmethod
    def from_json(cls, data: Any) -> NumberBlock:
        data = parse_mapping(data, "input")
        return cls(
            phone_number=_phone(data, "phone_number"),
            reason=parse_choice(data.get("reason"), "reason", BlockReason),
            period_days=_period(data.get("period_days")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "phone_number": self.phone_number,
            "reason": self.reason.value,
            "period_days": self.period_days,
        }


@dataclass(frozen=True)
class NumberBlockResult:
    """The operator's result message for the number. Build it with `blocked`, `already_blocked`
    or `refused`, which keep it consistent (a block in force says until when; a refusal says
    why and blocks nothing)."""

    phone_number: str = field(repr=False)
    outcome: BlockOutcome
    until: datetime | None = None
    refusal_reason: TelecomRefusal | None = None

    def __post_init__(self) -> None:
        refused = self.outcome is BlockOutcome.REFUSED
        if refused == (self.until is not None):
            raise MalformedMessage("A block in force says until when, and a refusal blocks nothing.")
        if refused != (self.refusal_reason is not None):
            raise MalformedMessage("`refusal_reason` is given exactly when the outcome is refused.")
        if self.until is not None and self.until.tzinfo is None:
            raise MalformedMessage("`until` must carry its UTC offset.")

    @classmethod
    def blocked(cls, phone_number: str, until: datetime) -> NumberBlockResult:
        return cls(phone_number, BlockOutcome.BLOCKED, until=until)

    @classmethod
    def already_blocked(cls, phone_number: str, until: datetime) -> NumberBlockResult:
        return cls(phone_number, BlockOutcome.ALREADY_BLOCKED, until=until)

    @classmethod
    def refused(cls, phone_number: str, reason: TelecomRefusal) -> NumberBlockResult:
        return cls(phone_number, BlockOutcome.REFUSED, refusal_reason=reason)

    @classmethod
    def from_json(cls, data: Any) -> NumberBlockResult:
        data = parse_mapping(data, "result")
        reason = data.get("refusal_reason")
        return cls(
            phone_number=_phone(data, "phone_number"),
            outcome=parse_choice(data.get("outcome"), "outcome", BlockOutcome),
            until=optional_moment(data, "until"),
            refusal_reason=None if reason is None else parse_choice(reason, "refusal_reason", TelecomRefusal),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "phone_number": self.phone_number,
            "outcome": self.outcome.value,
            "until": moment_json(self.until),
            "refusal_reason": None if self.refusal_reason is None else self.refusal_reason.value,
        }
