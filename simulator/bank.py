"""A simulated bank: answers the banks' kinds for the accounts of its BINs from the ledger.

`account_transfers` answers the holder, the balance and the transfers out in the window.
Every stop-payment and freeze instruction's unit signature is verified first, with the units'
keys published by the gateway (`fetch_unit_keys`, fetched again when an unknown key id comes);
one that does not verify is refused `signature_invalid` and never executed.

A stop-payment is checked as the 2016 rules say: the holder's name (exactly, spaces aside),
the account number (one of this bank's BINs it holds no account of is a mismatch; another
bank's number is not_found), and the amount and time of a credit into the account: the amount
to the fen, the time within `TIME_TOLERANCE` (60 s) of the credit's, so an officer who read
the time off a statement to the minute still matches. A layer-1 account's credits are the
platforms' order payments into it (`dataset.payments`), other accounts' the ledger's
transfers into them. What a stop or a freeze holds is kept in memory and reduces what is
left: a stop on an account with nothing left is refused `no_funds`. A stop lasts 48 hours;
a freeze of the same case takes over its stopped money.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from afx_sdk import (
    ACCOUNT_TRANSFERS,
    FREEZE,
    FREEZE_RELEASE,
    FREEZE_RENEW,
    STOP_PAYMENT,
    AccountTransfers,
    AccountTransfersResult,
    Answer,
    BankRefusal,
    CheckedField,
    Freeze,
    FreezeRelease,
    FreezeReleaseResult,
    FreezeRenew,
    FreezeRenewResult,
    FreezeResult,
    InstructionError,
    MalformedMessage,
    Query,
    StopPayment,
    StopPaymentResult,
    UnitKeys,
    verify_query,
)
from afx_sdk.kinds.account_transfers import MAX_TRANSFERS

from .dataset import DEFAULT_ORDERS, DEFAULT_SEED, payments
from .ledger import Ledger, LedgerAccount
from .tables import BANK_PARTNERS, PLATFORMS, bank_partner_of

logger = logging.getLogger(__name__)

BANK_KINDS = (ACCOUNT_TRANSFERS, STOP_PAYMENT, FREEZE, FREEZE_RENEW, FREEZE_RELEASE)
TIME_TOLERANCE = timedelta(seconds=60)
STOP_HOURS = 48
UNKNOWN_KEY_REFETCH_SECONDS = 60  # the same unknown key id makes at most one fetch a minute
NOT_HELD = "The bank holds no such account."


class UnitKeyring:
    """The units' public keys, fetched from the gateway when first needed and again when an
    instruction names a key id not yet known (a unit's new key), at most once a minute per
    unknown id. The instructions come from the authenticated gateway, so fetching for them
    cannot be used by others to flood it."""

    def __init__(self, fetch: Callable[[], UnitKeys]) -> None:
        self._fetch = fetch
        self._keys: UnitKeys = {}
        self._fetched = False
        self._asked_for: dict[str, float] = {}
        self._lock = threading.Lock()

    def keys_for(self, instruction: Mapping[str, Any] | None) -> UnitKeys:
        key_id = instruction.get("key_id") if isinstance(instruction, Mapping) else None
        with self._lock:
            if not self._fetched:
                self._refresh()
            now = time.monotonic()
            unknown = isinstance(key_id, str) and key_id not in self._keys
            if (
                unknown
                and now - self._asked_for.get(str(key_id), -float("inf")) >= UNKNOWN_KEY_REFETCH_SECONDS
            ):
                self._asked_for[str(key_id)] = now
                self._refresh()
            return self._keys

    def _refresh(self) -> None:
        try:
            self._keys = dict(self._fetch())
            self._fetched = True
        except Exception as error:  # the keys held so far stay in use
            logger.warning("Could not fetch the units' keys: %s.", type(error).__name__)


@dataclass
class _Stop:
    case: str
    amount: Decimal
    until: datetime


@dataclass
class _Freeze:
    amount: Decimal
    until: datetime


@dataclass
class _Holds:
    """What stops and freezes hold on one account, in this process's memory."""

    stops: list[_Stop] = field(default_factory=list)
    freezes: dict[str, _Freeze] = field(default_factory=dict)  # by case

    def stopped(self, now: datetime, *, except_case: str | None = None) -> Decimal:
        return sum(
            (stop.amount for stop in self.stops if stop.until > now and stop.case != except_case), Decimal(0)
        )

    def frozen(self, now: datetime) -> Decimal:
        return sum((hold.amount for hold in self.freezes.values() if hold.until > now), Decimal(0))

    def active_freeze(self, case: str, now: datetime) -> _Freeze | None:
        hold = self.freezes.get(case)
        return hold if hold is not None and hold.until > now else None


class SimulatedBank:
    """One AFX bank over the ledger: a `Handler` for the five bank kinds (route each kind to it)."""

    def __init__(
        self,
        partner: str,
        ledger: Ledger,
        keyring: UnitKeyring,
        *,
        seed: int = DEFAULT_SEED,
        orders: int = DEFAULT_ORDERS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if partner not in BANK_PARTNERS:
            raise ValueError(f"Unknown bank {partner!r}; known: {', '.join(sorted(BANK_PARTNERS))}.")
        self.partner = partner
        self.ledger = ledger
        self.keyring = keyring
        self.seed = seed
        self.orders = orders
        self.clock = clock
        self._holds: dict[str, _Holds] = {}
        self._lock = threading.Lock()
        self._statements = threading.Lock()  # one scan of the orders, not one per waiting stop
        self._handlers: dict[str, Callable[[Query], Answer[Any]]] = {
            ACCOUNT_TRANSFERS: self._transfers,
            STOP_PAYMENT: self._stop_payment,
            FREEZE: self._freeze,
            FREEZE_RENEW: self._renew,
            FREEZE_RELEASE: self._release,
        }

    def warm(self) -> None:
        """Scan the platforms' orders for the tier-1 statements now, not at the first stop."""
        self._order_payments(0)

    def handle(self, query: Query) -> Answer[Any]:
        handler = self._handlers.get(query.kind)
        if handler is None:
            return Answer.failed(reason=f"This bank does not answer {query.kind} queries.")
        if query.kind != ACCOUNT_TRANSFERS:
            try:
                verify_query(query, self.keyring.keys_for(query.instruction), partner=self.partner)
            except InstructionError:
                return Answer.answered(_refused(query.kind, BankRefusal.SIGNATURE_INVALID))
        try:
            return handler(query)
        except MalformedMessage:
            return Answer.failed(reason=f"The query's input is not a valid {query.kind} input.")

    def _held(self, number: str) -> LedgerAccount | None:
        if bank_partner_of(number) != self.partner:
            return None
        return self.ledger.account(number)

    def _transfers(self, query: Query) -> Answer[Any]:
        asked = AccountTransfers.from_query(query)
        account = self._held(asked.account_number)
        if account is None:
            return Answer.not_found(reason=NOT_HELD)
        transfers = [transfer.to_sdk() for transfer in account.transfers if asked.covers(transfer.at)]
        return Answer.answered(
            AccountTransfersResult(
                holder_name=account.holder_name,
                holder_id_number=account.holder_id_number,
                balance=account.balance,
                transfers=tuple(transfers[:MAX_TRANSFERS]),
            )
        )

    def _stop_payment(self, query: Query) -> Answer[Any]:
        stop = StopPayment.from_query(query)
        number = stop.account_number.replace(" ", "")
        if bank_partner_of(number) != self.partner:
            return Answer.not_found(reason=NOT_HELD)
        account = self.ledger.account(number)
        if account is None:
            return Answer.answered(StopPaymentResult.not_matched(CheckedField.ACCOUNT_NUMBER))
        mismatched = self._mismatches(account, stop)
        if mismatched:
            return Answer.answered(StopPaymentResult.not_matched(*mismatched))
        now = self.clock()
        with self._lock:
            holds = self._holds.setdefault(account.number, _Holds())
            left = account.balance - holds.stopped(now) - holds.frozen(now)
            if left <= 0:
                return Answer.answered(StopPaymentResult.refused(BankRefusal.NO_FUNDS))
            held = min(left, stop.amount)
            holds.stops.append(_Stop(query.case_reference, held, now + timedelta(hours=STOP_HOURS)))
        return Answer.answered(StopPaymentResult.stopped(held, now))

    def _mismatches(self, account: LedgerAccount, stop: StopPayment) -> list[CheckedField]:
        mismatched = []
        if "".join(stop.holder_name.split()) != account.holder_name:
            mismatched.append(CheckedField.HOLDER_NAME)
        credits = self._credits(account)
        near = [amount for at, amount in credits if abs(at - stop.transaction_at) <= TIME_TOLERANCE]
        if stop.amount not in near:
            if any(amount == stop.amount for _, amount in credits):
                mismatched.append(CheckedField.TRANSACTION_TIME)
            elif near:
                mismatched.append(CheckedField.AMOUNT)
            else:
                mismatched.extend((CheckedField.AMOUNT, CheckedField.TRANSACTION_TIME))
        return mismatched

    def _credits(self, account: LedgerAccount) -> list[tuple[datetime, Decimal]]:
        """The account's statement of credits: (time, amount)."""
        if account.mule_index is None:
            return [(credit.at, credit.amount) for credit in account.credits]
        return self._order_payments(account.mule_index)

    def _order_payments(self, mule_index: int) -> list[tuple[datetime, Decimal]]:
        """The platforms' payments into one mule account, from every platform's orders."""
        with self._statements:
            return [
                payment
                for platform in PLATFORMS
                for payment in payments(platform, self.seed, self.orders).get(mule_index, [])
            ]

    def _freeze(self, query: Query) -> Answer[Any]:
        freeze = Freeze.from_query(query)
        account = self._held(freeze.account_number)
        if account is None:
            return Answer.not_found(reason=NOT_HELD)
        now, case = self.clock(), query.case_reference
        with self._lock:
            holds = self._holds.setdefault(account.number, _Holds())
            if holds.active_freeze(case, now) is not None:
                return Answer.answered(FreezeResult.refused(BankRefusal.ALREADY_HELD))
            # The case's own stops are what the freeze replaces: their money is freezable.
            left = account.balance - holds.frozen(now) - holds.stopped(now, except_case=case)
            if left <= 0:
                return Answer.answered(FreezeResult.refused(BankRefusal.NO_FUNDS))
            frozen = min(left, freeze.amount)
            holds.stops = [stop for stop in holds.stops if stop.case != case]
            holds.freezes[case] = _Freeze(frozen, now + timedelta(days=freeze.period_days))
        return Answer.answered(FreezeResult.frozen(frozen, now, partially=frozen < freeze.amount))

    def _renew(self, query: Query) -> Answer[Any]:
        renew = FreezeRenew.from_query(query)
        account = self._held(renew.account_number)
        if account is None:
            return Answer.not_found(reason=NOT_HELD)
        now = self.clock()
        with self._lock:
            hold = self._holds.get(account.number, _Holds()).active_freeze(query.case_reference, now)
            if hold is None:
                return Answer.answered(FreezeRenewResult.refused(BankRefusal.NO_ACTIVE_FREEZE))
            hold.until += timedelta(days=renew.period_days)
        return Answer.answered(FreezeRenewResult.renewed(now))

    def _release(self, query: Query) -> Answer[Any]:
        release = FreezeRelease.from_query(query)
        account = self._held(release.account_number)
        if account is None:
            return Answer.not_found(reason=NOT_HELD)
        now = self.clock()
        with self._lock:
            holds = self._holds.get(account.number, _Holds())
            if holds.active_freeze(query.case_reference, now) is None:
                return Answer.answered(FreezeReleaseResult.refused(BankRefusal.NO_ACTIVE_FREEZE))
            del holds.freezes[query.case_reference]
        return Answer.answered(FreezeReleaseResult.released(now))


def _refused(kind: str, reason: BankRefusal) -> Any:
    results: dict[str, Any] = {
        STOP_PAYMENT: StopPaymentResult,
        FREEZE: FreezeResult,
        FREEZE_RENEW: FreezeRenewResult,
        FREEZE_RELEASE: FreezeReleaseResult,
    }
    return results[kind].refused(reason)
