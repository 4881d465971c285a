"""Account transfers: the step of a trace. The gateway names an account and a time window; the
bank answers who holds it, what is left on it, and every transfer out of it in the window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..models import MalformedMessage, Query, parse_mapping, parse_text
from .stop_payment import input_of, moment_json, optional_moment, parse_amount, parse_choice, parse_moment

ACCOUNT_TRANSFERS = "account_transfers"
MAX_TRANSFERS = 500  # the gateway's limit for one answer


class Channel(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    ONLINE_BANKING = "online_banking"
    MOBILE_BANKING = "mobile_banking"
    THIRD_PARTY_PAYMENT = "third_party_payment"
    CASH_WITHDRAWAL = "cash_withdrawal"  # the money leaves the banks: no account it went to


@dataclass(frozen=True)
class AccountTransfers:
    """The input of an `account_transfers` query; an open end of the window is unbounded."""

    account_number: str = field(repr=False)
    window_start: datetime | None = None
    window_end: datetime | None = None

    def __post_init__(self) -> None:
        if self.window_start and self.window_end and self.window_end < self.window_start:
            raise MalformedMessage("`window_end` is before `window_start`.")

    @classmethod
    def from_query(cls, query: Query) -> AccountTransfers:
        return cls.from_json(input_of(query, ACCOUNT_TRANSFERS))

    @classmethod
    def from_json(cls, data: Any) -> AccountTransfers:
        data = parse_mapping(data, "input")
        return cls(
            account_number=parse_text(data, "account_number"),
            window_start=optional_moment(data, "window_start"),
            window_end=optional_moment(data, "window_end"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "account_number": self.account_number,
            "window_start": moment_json(self.window_start),
            "window_end": moment_json(self.window_end),
        }

    def covers(self, moment: datetime) -> bool:
        """Whether a transfer at `moment` falls in the window (both ends included)."""
        return (self.window_start is None or moment >= self.window_start) and (
            self.window_end is None or moment <= self.window_end
        )


@dataclass(frozen=True)
class Transfer:
    """One transfer out of the account: to an account (of `to_bank`), or withdrawn in cash."""

    to_account: str | None = field(repr=False)
    to_bank: str
    amount: Decimal
    at: datetime
    channel: Channel

    def __post_init__(self) -> None:
        cash = self.channel is Channel.CASH_WITHDRAWAL
        if cash == bool(self.to_account):
            raise MalformedMessage("A transfer names the account it went to, and a cash withdrawal none.")

    @classmethod
    def from_json(cls, data: Any) -> Transfer:
        data = parse_mapping(data, "transfer")
        to_account, to_bank = data.get("to_account"), data.get("to_bank", "")
        if to_account is not None:
            to_account = parse_text(data, "to_account")
        if not isinstance(to_bank, str):
            raise MalformedMessage("`to_bank` must be a string.")
        return cls(
            to_account=to_account,
            to_bank=to_bank,
            amount=parse_amount(data.get("amount"), "amount"),
            at=parse_moment(data.get("at"), "at"),
            channel=parse_choice(data.get("channel"), "channel", Channel),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "to_account": self.to_account,
            "to_bank": self.to_bank,
            "amount": str(self.amount),
            "at": self.at.isoformat(),
            "channel": self.channel.value,
        }


@dataclass(frozen=True)
class AccountTransfersResult:
    """The holder (personal: left out of repr), what is left on the account, and its transfers out."""

    holder_name: str = field(repr=False)
    holder_id_number: str = field(repr=False)
    balance: Decimal
    transfers: tuple[Transfer, ...] = ()

    def __post_init__(self) -> None:
        if len(self.transfers) > MAX_TRANSFERS:
            raise MalformedMessage(f"An answer lists at most {MAX_TRANSFERS} transfers.")

    @classmethod
    def from_json(cls, data: Any) -> AccountTransfersResult:
        data = parse_mapping(data, "result")
        transfers = data.get("transfers", [])
        if not isinstance(transfers, list):
            raise MalformedMessage("`transfers` must be a list.")
        return cls(
            holder_name=parse_text(data, "holder_name"),
            holder_id_number=parse_text(data, "holder_id_number"),
            balance=parse_amount(data.get("balance"), "balance", positive=False),
            transfers=tuple(Transfer.from_json(item) for item in transfers),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "holder_name": self.holder_name,
            "holder_id_number": self.holder_id_number,
            "balance": str(self.balance),
            "transfers": [transfer.to_json() for transfer in self.transfers],
        }
