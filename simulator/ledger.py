"""A deterministic synthetic ledger of mule chains: where the platforms' payments went next.

Layer 1 is the mule pool the platforms' orders pay into (`dataset.mule_account`). Money moves
from it through layers 2 to 6 of further mule accounts, each a pure function of the seed, the
same in every process (one seeded generator, drawn in a fixed order; built once a process, in
a few tenths of a second, about 20,000 accounts and 90,000 transfers):

- fan-out: an account pays two to four accounts of the next layer; fan-in: layers are smaller
  than the payments into them, and an account often pays an account a sibling (an account paid
  by the same payer) pays too, so one trace meets it twice;
- cycles: some accounts of layers 4 and 5 pay back an account two layers up that paid their
  payer; cash withdrawals (`cash_withdrawal`, no account); cross-bank hops (each account's bank
  is drawn, and the three demo banks issue different BINs); emptied accounts (balance 0); and
  a few accounts at 平安银行, which no AFX bank issues (unroutable).

Money moves forward in time. A layer-1 account pays out in rounds across the platforms'
payment period, as the victims' payments come in. An account of a later layer collects, then
pays out once, minutes to hours after the last payment into it (a payment back through a cycle
comes later still and stays on it). So whichever payment a trace finds an account by, asking
it from that payment's time on sees all it paid out: a trace's result does not depend on the
order in which the banks answer (`expected_trace`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter, mul
from typing import NamedTuple, TypeVar

from afx_sdk import Channel, Transfer

from .dataset import (
    DEFAULT_SEED,
    FIRST_PAYMENT,
    MULE_ACCOUNTS,
    PAYMENT_SPAN_SECONDS,
    luhn_check_digit,
    mule_account,
)
from .tables import BANKS, GIVEN_NAME_CHARACTERS, SURNAMES, Bank, bank_partner_of

LAYER_SIZES = {2: 2_000, 3: 3_000, 4: 3_000, 5: 3_500, 6: 3_000}
LAST_LAYER = max(LAYER_SIZES)
UNROUTABLE_BIN = "623058"
UNROUTABLE_SHARE = 0.03  # of the accounts of layers 2 and on: "a few"
EMPTIED_SHARE = 0.25
CASH_SHARE = 0.2
CYCLE_SHARE = 0.2
SIBLING_SHARE = 0.35
ROUTABLE_BANKS = tuple(bank for bank in BANKS if bank.bin != UNROUTABLE_BIN)
UNROUTABLE_BANK = next(bank for bank in BANKS if bank.bin == UNROUTABLE_BIN)
ONLINE_CHANNELS = (
    Channel.BANK_TRANSFER,
    Channel.ONLINE_BANKING,
    Channel.MOBILE_BANKING,
    Channel.THIRD_PARTY_PAYMENT,
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
WHEN = attrgetter("at")
T = TypeVar("T")


class Stop(StrEnum):
    """Why a trace does not ask the account a transfer went to."""

    CASH_OUT = "cash_out"
    BELOW_THRESHOLD = "below_threshold"
    TIER_LIMIT = "tier_limit"
    UNROUTABLE = "unroutable"


class LedgerTransfer(NamedTuple):
    """A payment out of `source`: to `to_account` (of the bank named `to_bank`), or cash.

    A tuple, as the ledger holds some 90,000 of them and draws them at start; its repr leaves
    the account numbers out, as the SDK's types do.
    """

    source: str
    to_account: str | None
    to_bank: str
    amount: Decimal
    at: datetime
    channel: Channel

    def __repr__(self) -> str:
        return f"LedgerTransfer(to_bank={self.to_bank!r}, amount={self.amount}, at={self.at})"

    def to_sdk(self) -> Transfer:
        """As the bank answers it in `account_transfers`."""
        return Transfer(self.to_account, self.to_bank, self.amount, self.at, self.channel)


@dataclass(frozen=True)
class LedgerAccount:
    """One account, what is left on it, what it paid out and (from the ledger) what it received.

    A layer-1 account's credits are the platforms' orders (`dataset.payments`, by `mule_index`),
    not part of the ledger: `credits` is empty for it.
    """

    number: str = field(repr=False)
    bank: Bank
    holder_name: str = field(repr=False)
    holder_id_number: str = field(repr=False)
    layer: int
    balance: Decimal
    transfers: tuple[LedgerTransfer, ...]
    credits: tuple[LedgerTransfer, ...]
    mule_index: int | None = None


@dataclass(frozen=True)
class ExpectedTrace:
    """What a trace by the rules finds: the accounts asked (tier, and the window's start), those
    answered not_found, every transfer seen (out of an answered account, in its window), and
    the transfers not followed, with why."""

    tiers: dict[str, int]
    window_starts: dict[str, datetime]
    not_found: frozenset[str]
    transfers: tuple[LedgerTransfer, ...]
    stops: tuple[tuple[LedgerTransfer, Stop], ...]

    def stopped(self, reason: Stop) -> list[LedgerTransfer]:
        return [transfer for transfer, why in self.stops if why is reason]


class _Draft:
    """An account while the ledger is drawn: mutable, frozen into a `LedgerAccount` at the end."""

    __slots__ = (
        "bank",
        "credits",
        "holder_id",
        "holder_name",
        "layer",
        "mule_index",
        "number",
        "out",
        "paid",
        "received",
        "targets",
    )

    def __init__(self, number: str, bank: Bank, name: str, holder_id: str, layer: int) -> None:
        self.number, self.bank, self.holder_name, self.holder_id, self.layer = (
            number,
            bank,
            name,
            holder_id,
            layer,
        )
        self.mule_index: int | None = None
        self.credits: list[LedgerTransfer] = []
        self.out: list[LedgerTransfer] = []
        self.targets: list[_Draft] = []
        self.received = 0  # cents, so the balance needs no Decimal sums
        self.paid = 0


class Ledger:
    """The ledger of one seed. Build it with `ledger(seed)`, which keeps one per process."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self.seed = seed
        self._rng = random.Random(f"ledger:{seed}")  # noqa: S311 - synthetic data, not secrets
        self._numbers: set[str] = set()
        self._draw()
        self._frozen: dict[str, LedgerAccount] = {}

    def __len__(self) -> int:
        return len(self._drafts_by_number)

    def __iter__(self) -> Iterator[LedgerAccount]:
        return (self._account(number) for number in self._drafts_by_number)

    def account(self, number: str) -> LedgerAccount | None:
        """The account of this number (spaces ignored), or None if the ledger has none."""
        number = number.replace(" ", "")
        return self._account(number) if number in self._drafts_by_number else None

    def layer(self, layer: int) -> list[LedgerAccount]:
        return [account for account in self if account.layer == layer]

    def _account(self, number: str) -> LedgerAccount:
        """Drafts become accounts when first read: most are never read, and sorting and
        freezing all of them would double the build. Two threads freezing one draft at once
        make two equal accounts, so no lock is needed."""
        account = self._frozen.get(number)
        if account is None:
            account = self._frozen[number] = self._freeze(self._drafts_by_number[number])
        return account

    def expected_trace(
        self, start_account: str, start_time: datetime, max_tiers: int = 5, min_amount: Decimal = Decimal(0)
    ) -> ExpectedTrace:
        """The trace the gateway's rules make over this ledger (see `trace`)."""
        return trace(self.account, start_account, start_time, max_tiers, min_amount)

    # Drawing. The order of draws is the ledger: change it and every account changes.

    def _draw(self) -> None:
        first = [self._mule(index) for index in range(MULE_ACCOUNTS)]
        layers = {layer: [self._new(layer) for _ in range(size)] for layer, size in LAYER_SIZES.items()}
        everyone = first + [draft for layer in layers.values() for draft in layer]
        self._drafts_by_number = {draft.number: draft for draft in everyone}
        for draft in first:
            self._pay_in_rounds(draft, layers[2])
        for layer in range(2, LAST_LAYER + 1):
            for draft in layers[layer]:
                if draft.credits:
                    self._pay_on(draft, layers.get(layer + 1, []))
        self._balances = {draft.number: self._balance(draft) for draft in everyone}

    def _mule(self, index: int) -> _Draft:
        account = mule_account(self.seed, index)
        self._numbers.add(account.number)
        draft = _Draft(account.number, account.bank, account.holder_name, self._holder_id(), 1)
        draft.mule_index = index
        return draft

    def _new(self, layer: int) -> _Draft:
        rng = self._rng
        bank = UNROUTABLE_BANK if rng.random() < UNROUTABLE_SHARE else _one(rng, ROUTABLE_BANKS)
        number = ""
        while not number or number in self._numbers:
            digits = bank.length - len(bank.bin) - 1
            body = f"{bank.bin}{int(rng.random() * 10**digits):0{digits}d}"
            number = body + luhn_check_digit(body)
        self._numbers.add(number)
        given = "".join(_one(rng, GIVEN_NAME_CHARACTERS) for _ in range(1 if rng.random() < 1 / 3 else 2))
        return _Draft(number, bank, _one(rng, SURNAMES) + given, self._holder_id(), layer)

    def _holder_id(self) -> str:
        """An 18-character resident-ID-shaped number with region 000000, which no region has:
        clearly synthetic, yet it passes the ID check character rule (GB 11643)."""
        rng = self._rng
        born = (
            f"{1960 + int(rng.random() * 44)}{1 + int(rng.random() * 12):02d}{1 + int(rng.random() * 28):02d}"
        )
        body = f"000000{born}{int(rng.random() * 1000):03d}"
        return body + ID_CHECK[sum(map(mul, map(int, body), ID_WEIGHTS)) % 11]

    def _pay_in_rounds(self, draft: _Draft, next_layer: list[_Draft]) -> None:
        """A layer-1 account pays out in 6 to 12 rounds across the payment period, each round to
        one of its two to four payees (each at least once) or in cash."""
        rng = self._rng
        draft.targets = _pick(rng, next_layer, (2, 3, 3, 4)[int(rng.random() * 4)])
        rounds = rng.randint(6, 12)
        start = FIRST_PAYMENT + timedelta(days=1)
        times = sorted(
            start + timedelta(seconds=int(rng.random() * PAYMENT_SPAN_SECONDS)) for _ in range(rounds)
        )
        for position, at in enumerate(times):
            target: _Draft | None
            if position < len(draft.targets):
                target = draft.targets[position]
            elif rng.random() < CASH_SHARE / 2:
                target = None
            else:
                target = draft.targets[int(rng.random() * len(draft.targets))]
            self._transfer(draft, target, _cents(rng, 400_000), at)

    def _pay_on(self, draft: _Draft, next_layer: list[_Draft]) -> None:
        """An account of layer 2 or later pays on, once, after the last payment into it."""
        rng = self._rng
        payees: list[_Draft | None] = []
        if next_layer:
            sibling_payee = self._sibling_payee(draft)
            if sibling_payee is not None and rng.random() < SIBLING_SHARE:
                payees.append(sibling_payee)
            for payee in _pick(rng, next_layer, (2, 3, 3, 4, 4)[int(rng.random() * 5)]):
                if payee not in payees:
                    payees.append(payee)
            draft.targets = [payee for payee in payees if payee is not None]
        if rng.random() < (CASH_SHARE if next_layer else 3 * CASH_SHARE):
            payees.append(None)
        if draft.layer in (4, 5) and rng.random() < CYCLE_SHARE:
            payees.append(_one(rng, self._grandpayers(draft)))
        if not payees:
            return
        received = draft.received
        kept = 0 if rng.random() < EMPTIED_SHARE else int(received * rng.uniform(0.1, 0.6))
        shares = [rng.random() + 0.2 for _ in payees]
        paying = received - kept
        whole = sum(shares)
        amounts = [int(paying * share / whole) for share in shares]
        amounts[-1] += paying - sum(amounts)
        at = max(credit.at for credit in draft.credits)
        for recipient, cents in zip(payees, amounts, strict=True):
            at += timedelta(seconds=60 + int(rng.random() * 4 * 3600))
            if recipient is not None and recipient.layer < draft.layer and recipient.out:
                # Back through a cycle: only after the account paid back has paid out all it will.
                at = max(at, recipient.out[-1].at + timedelta(minutes=1))
            if cents > 0:
                self._transfer(draft, recipient, cents, at)

    def _sibling_payee(self, draft: _Draft) -> _Draft | None:
        """A payee of an account paid by the same first payer, already drawn (for fan-in)."""
        payer = self._drafts_by_number[draft.credits[0].source]
        for sibling in payer.targets:
            if sibling is not draft and sibling.targets:
                return _one(self._rng, sibling.targets)
        return None

    def _grandpayers(self, draft: _Draft) -> list[_Draft]:
        return [
            self._drafts_by_number[credit.source]
            for payer_credit in draft.credits
            for credit in self._drafts_by_number[payer_credit.source].credits
        ]

    def _transfer(self, source: _Draft, target: _Draft | None, cents: int, at: datetime) -> None:
        if target is None:
            transfer = LedgerTransfer(
                source.number, None, "", Decimal(cents).scaleb(-2), at, Channel.CASH_WITHDRAWAL
            )
        else:
            channel = ONLINE_CHANNELS[int(self._rng.random() * len(ONLINE_CHANNELS))]
            transfer = LedgerTransfer(
                source.number, target.number, target.bank.name, Decimal(cents).scaleb(-2), at, channel
            )
        source.out.append(transfer)
        source.paid += cents
        if target is not None:
            target.credits.append(transfer)
            target.received += cents

    def _balance(self, draft: _Draft) -> Decimal:
        """Layer 1: drawn (a fifth emptied). Later layers: what came in less what went out."""
        rng = self._rng
        if draft.layer == 1:
            return Decimal(0) if rng.random() < 0.2 else Decimal(_cents(rng, 500_000)).scaleb(-2)
        if not draft.credits:  # an account nobody paid: an ordinary balance of its own
            return Decimal(_cents(rng, 100_000)).scaleb(-2)
        return Decimal(draft.received - draft.paid).scaleb(-2)

    def _freeze(self, draft: _Draft) -> LedgerAccount:
        return LedgerAccount(
            number=draft.number,
            bank=draft.bank,
            holder_name=draft.holder_name,
            holder_id_number=draft.holder_id,
            layer=draft.layer,
            balance=self._balances[draft.number],
            transfers=tuple(draft.out),  # drawn in time order
            credits=tuple(sorted(draft.credits, key=WHEN)),
            mule_index=draft.mule_index,
        )


def _one(rng: random.Random, items: Sequence[T]) -> T:
    """`rng.choice`, at a third of its cost: the ledger draws some 100,000 of them."""
    return items[int(rng.random() * len(items))]


def _pick(rng: random.Random, drafts: list[_Draft], count: int) -> list[_Draft]:
    """`count` distinct drafts drawn from `drafts` (far more of them than `count`)."""
    picked: list[_Draft] = []
    while len(picked) < count:
        draft = drafts[int(rng.random() * len(drafts))]
        if draft not in picked:
            picked.append(draft)
    return picked


def _cents(rng: random.Random, median: int) -> int:
    """Log-normal cents around `median`: mostly hundreds to tens of thousands of yuan."""
    return min(max(int(math.exp(rng.gauss()) * median), 1_000), 100_000_000)


def trace(
    lookup: Callable[[str], LedgerAccount | None],
    start_account: str,
    start_time: datetime,
    max_tiers: int = 5,
    min_amount: Decimal = Decimal(0),
) -> ExpectedTrace:
    """The trace the gateway's rules make from `start_account`, asked from `start_time` on.

    Tier by tier: every transfer out of an answered account in its window is seen; a cash
    withdrawal is not followed, nor an amount below `min_amount`, nor an account past
    `max_tiers`, nor one no AFX bank issues (in that order of checks); an account already
    in the trace gets the edge only; any other is asked at the next tier from the
    transfer's time on. An account no bank holds is answered not_found.
    """
    tiers = {start_account: 1}
    windows = {start_account: start_time}
    not_found: set[str] = set()
    seen: list[LedgerTransfer] = []
    stops: list[tuple[LedgerTransfer, Stop]] = []
    frontier = [start_account]
    tier = 1
    while frontier:
        found: list[str] = []
        for number in frontier:
            account = lookup(number)
            if account is None:
                not_found.add(number)
                continue
            for transfer in account.transfers:
                if transfer.at < windows[number]:
                    continue
                seen.append(transfer)
                reason = _stop(transfer, tier, max_tiers, min_amount)
                if reason is not None:
                    stops.append((transfer, reason))
                elif transfer.to_account is not None and transfer.to_account not in tiers:
                    tiers[transfer.to_account] = tier + 1
                    windows[transfer.to_account] = transfer.at
                    found.append(transfer.to_account)
        frontier, tier = found, tier + 1
    return ExpectedTrace(tiers, windows, frozenset(not_found), tuple(seen), tuple(stops))


def _stop(transfer: LedgerTransfer, tier: int, max_tiers: int, min_amount: Decimal) -> Stop | None:
    if transfer.channel is Channel.CASH_WITHDRAWAL or transfer.to_account is None:
        return Stop.CASH_OUT
    if transfer.amount < min_amount:
        return Stop.BELOW_THRESHOLD
    if tier + 1 > max_tiers:
        return Stop.TIER_LIMIT
    if bank_partner_of(transfer.to_account) is None:
        return Stop.UNROUTABLE
    return None


@lru_cache(maxsize=4)
def ledger(seed: int = DEFAULT_SEED) -> Ledger:
    """The ledger of `seed`, built once per process."""
    return Ledger(seed)
