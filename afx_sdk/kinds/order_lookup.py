"""Order lookup: the gateway gives an order number, the platform answers where the money went."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..models import MalformedMessage, Query, parse_datetime, parse_decimal, parse_mapping, parse_text

ORDER_LOOKUP = "order_lookup"


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
            order_number=parse_text(data, "order_number"),
            amount=None if amount is None else parse_decimal(amount, "amount"),
            paid_at=None if paid_at is None else parse_datetime(paid_at, "paid_at"),
        )


@dataclass(frozen=True)
class OrderLookupResult:
    """What an answered order lookup found: the account the money went to, and the payment."""

    bank: str
    account_number: str = field(repr=False)
    holder_name: str = field(repr=False)
    amount: Decimal
    paid_at: datetime

    @classmethod
    def from_json(cls, data: Any) -> OrderLookupResult:
        data = parse_mapping(data, "result")
        return cls(
            bank=parse_text(data, "bank"),
            account_number=parse_text(data, "account_number"),
            holder_name=parse_text(data, "holder_name"),
            amount=parse_decimal(data.get("amount"), "amount"),
            paid_at=parse_datetime(data.get("paid_at"), "paid_at"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "account_number": self.account_number,
            "holder_name": self.holder_name,
            "amount": str(self.amount),
            "paid_at": self.paid_at.isoformat(),
        }
