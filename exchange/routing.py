"""Routing an account number to the bank that issued it, by the card prefixes (BINs) banks declare.

A bank in the registry lists the BINs it issues (`Partner.bins`); an account found in an
answer goes to the active bank whose longest BIN prefixes it, among the banks that answer
`account_transfers`, or it is unroutable, with a reason code. Whether the unit may ask that
bank is not decided here: the grant check of the normal submission path refuses it
(`no_grant`), so the refusal is a query the officer and the audit log both see.
"""

from __future__ import annotations

from dataclasses import dataclass

from partners.choices import PartnerKind, PartnerStatus
from partners.models import Partner
from privacy import blind_index
from privacy.choices import Kind

ROUTED_KIND = "account_transfers"
NO_BANK_FOR_BIN = "no_bank_for_bin"


@dataclass(frozen=True)
class Route:
    """Where an account goes: its bank, or no bank and the reason (`NO_BANK_FOR_BIN`)."""

    bank: Partner | None
    unroutable_reason: str = ""


class Router:
    """The active banks' BINs, read once: a trace routes many accounts and banks are few,
    so one query per router serves every account of one answer."""

    def __init__(self) -> None:
        banks = Partner.objects.filter(kind=PartnerKind.BANK, status=PartnerStatus.ACTIVE).order_by("code")
        self._prefixes: list[tuple[str, Partner]] = sorted(
            ((prefix, bank) for bank in banks if ROUTED_KIND in bank.answers for prefix in bank.bins),
            key=lambda item: -len(item[0]),
        )

    def route(self, account_number: str) -> Route:
        """The bank of the longest BIN that prefixes the account's digits."""
        digits = blind_index.normalise(Kind.ACCOUNT, account_number)
        for prefix, bank in self._prefixes:
            if digits.startswith(prefix):
                return Route(bank=bank)
        return Route(bank=None, unroutable_reason=NO_BANK_FOR_BIN)
