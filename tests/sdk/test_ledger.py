"""The seeded ledger: the same in every process, the shapes a trace must handle, money moving
forward in time, and `trace`, the reference the gateway's traces are compared with."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from afx_sdk import Channel
from simulator.dataset import FIRST_PAYMENT, MULE_ACCOUNTS, dataset, mule_account, sample_order_numbers
from simulator.ledger import ID_CHECK, ID_WEIGHTS, Ledger, LedgerAccount, LedgerTransfer, Stop, ledger, trace
from simulator.tables import BANK_PARTNERS, BANKS, bank_partner_of

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ledger()
DIGEST = (
    "from simulator.ledger import ledger; from tests.sdk.test_ledger import digest; print(digest(ledger()))"
)


def known(number: str) -> LedgerAccount:
    account = LEDGER.account(number)
    assert account is not None
    return account


def digest(accounts) -> str:
    hashed = hashlib.sha256()
    for a in accounts:
        row = (a.number, a.holder_name, a.holder_id_number, a.balance, [tuple(t) for t in a.transfers])
        hashed.update(repr(row).encode())
    return hashed.hexdigest()


def test_the_same_ledger_in_every_process_and_another_for_another_seed():
    other_process = subprocess.run(
        [sys.executable, "-c", DIGEST], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert other_process.stdout.strip() == digest(LEDGER)
    assert digest(Ledger(43)) != digest(LEDGER)


def test_bounded():
    """Bounded in size, so every process can build it at start (its build time is measured,
    not asserted: the machines here are noisy)."""
    built = Ledger(44)
    assert len(built) < 25_000
    assert sum(len(account.transfers) for account in built) < 120_000


def test_layer_one_is_the_platforms_mule_pool():
    first = LEDGER.layer(1)
    assert len(first) == MULE_ACCOUNTS
    for index in (0, 17, MULE_ACCOUNTS - 1):
        account = LEDGER.account(mule_account(42, index).number)
        assert account is not None and account.mule_index == index and account.layer == 1
        assert account.holder_name == mule_account(42, index).holder_name


def test_every_shape_a_trace_meets_is_there():
    accounts = list(LEDGER)
    transfers = [transfer for account in accounts for transfer in account.transfers]
    layer_of = {account.number: account.layer for account in accounts}
    fan_out = [a for a in accounts if len({t.to_account for t in a.transfers if t.to_account}) >= 3]
    fan_in = [a for a in accounts if len({c.source for c in a.credits}) >= 2]
    cycles = [t for t in transfers if t.to_account and layer_of[t.to_account] < layer_of[t.source]]
    cash = [t for t in transfers if t.channel is Channel.CASH_WITHDRAWAL]
    cross_bank = [
        t for t in transfers if t.to_account and bank_partner_of(t.to_account) != bank_partner_of(t.source)
    ]
    emptied = [a for a in accounts if a.layer > 1 and a.credits and a.balance == 0]
    later = [a for a in accounts if a.layer > 1]
    unroutable = [a for a in later if bank_partner_of(a.number) is None]
    assert fan_out and fan_in and cycles and cash and cross_bank and emptied
    assert 0 < len(unroutable) < 0.05 * len(later)
    assert all(t.to_account is None and t.to_bank == "" for t in cash)
    for transfer in cycles:  # back to an account that paid the payer of the account paying back
        payers = {c.source for c in known(transfer.source).credits}
        grandpayers = {c.source for payer in payers for c in known(payer).credits}
        assert transfer.to_account in grandpayers


def test_money_moves_forward_and_balances_add_up():
    for account in LEDGER:
        assert all(t.at > FIRST_PAYMENT for t in account.transfers)
        assert [t.at for t in account.transfers] == sorted(t.at for t in account.transfers)
        if account.layer == 1 or not account.credits:
            continue
        normal = [c for c in account.credits if known(c.source).layer == account.layer - 1]
        back = [c for c in account.credits if c not in normal]
        assert all(t.at > max(c.at for c in normal) for t in account.transfers)
        assert all(c.at > t.at for c in back for t in account.transfers)
        paid = sum((t.amount for t in account.transfers), Decimal(0))
        assert account.balance == sum((c.amount for c in account.credits), Decimal(0)) - paid >= 0


def test_holders_have_synthetic_id_numbers_and_accounts_real_bank_prefixes():
    bins = {bank.bin for bank in BANKS}
    for account in list(LEDGER)[::97]:
        number = account.holder_id_number
        assert len(number) == 18 and number.startswith("000000")
        assert (
            number[-1] == ID_CHECK[sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True)) % 11]
        )
        assert account.number[:6] in bins and len(account.number) == account.bank.length
    assert {bin_ for bins_ in BANK_PARTNERS.values() for bin_ in bins_} == bins - {"623058"}


def _account(number: str, transfers: list[tuple[str | None, str, datetime]]) -> LedgerAccount:
    bank = next(bank for bank in BANKS if number.startswith(bank.bin))
    return LedgerAccount(
        number=number,
        bank=bank,
        holder_name="测试",
        holder_id_number="000000199001010011",
        layer=1,
        balance=Decimal(0),
        transfers=tuple(
            LedgerTransfer(
                number,
                to,
                "",
                Decimal(amount),
                at,
                Channel.CASH_WITHDRAWAL if to is None else Channel.ONLINE_BANKING,
            )
            for to, amount, at in transfers
        ),
        credits=(),
    )


def test_trace_rules_on_a_small_hand_checked_ledger():
    day = datetime.fromisoformat("2025-03-01T00:00:00+08:00")
    at = {hour: day + timedelta(hours=hour) for hour in range(24)}
    a, b, c = "6222020000000001", "6228480000000002", "6222600000000003"
    e, f, g, h, x = (
        "6225210000000004",
        "6230580000000005",
        "6226220000000006",
        "6229090000000007",
        "6229090000000008",
    )
    accounts = {
        a: _account(a, [("9" * 16, "1", at[7]), (b, "500", at[9]), (c, "300", at[10]), (None, "50", at[11])]),
        b: _account(b, [(e, "400", at[12]), (f, "50", at[13])]),
        c: _account(c, [(e, "200", at[14]), (a, "20", at[15]), (x, "100", at[16]), (g, "5", at[17])]),
        e: _account(e, [(h, "300", at[18])]),
    }
    result = trace(accounts.get, a, at[8], max_tiers=3, min_amount=Decimal(10))
    assert result.tiers == {a: 1, b: 2, c: 2, e: 3, x: 3}
    assert result.window_starts == {a: at[8], b: at[9], c: at[10], e: at[12], x: at[16]}
    assert result.not_found == {x}
    assert [t.at for t in result.transfers] == [at[hour] for hour in (9, 10, 11, 12, 13, 14, 15, 16, 17, 18)]
    assert [(t.at, why) for t, why in result.stops] == [
        (at[11], Stop.CASH_OUT),
        (at[13], Stop.UNROUTABLE),
        (at[17], Stop.BELOW_THRESHOLD),
        (at[18], Stop.TIER_LIMIT),
    ]


def _sample_traces(min_amount: Decimal = Decimal(0)):
    paylink = dataset("paylink")
    for number in sample_order_numbers("paylink", 20):
        order = paylink.lookup(number)
        assert order is not None
        yield LEDGER.expected_trace(order.payee.number, order.paid_at, 5, min_amount)


def test_traces_of_the_sample_orders_are_big_enough_and_bounded():
    traces = list(_sample_traces())
    big = [
        t
        for t in traces
        if len(t.tiers) >= 100 and {bank_partner_of(n) for n in t.tiers} >= set(BANK_PARTNERS)
    ]
    assert len(big) >= 3
    assert max(len(t.tiers) for t in traces) <= 600
    assert all(max(t.tiers.values()) <= 5 for t in traces)
    every_stop = {why for t in traces for _, why in t.stops} | {
        why for t in _sample_traces(Decimal(1000)) for _, why in t.stops
    }
    assert every_stop == set(Stop)
    cycles = [
        tr
        for t in traces
        for tr in t.transfers
        if tr.to_account in t.tiers and t.tiers[tr.to_account] < t.tiers[tr.source]
    ]
    fan_in = [
        t
        for t in traces
        if any(len({tr.source for tr in t.transfers if tr.to_account == n}) > 1 for n in t.tiers)
    ]
    assert cycles and fan_in


def _trace_in_any_order(start: str, start_time: datetime, rng: random.Random) -> tuple[dict, set, set]:
    """The rules applied as answers come in, in a random order rather than tier by tier."""
    tiers, windows, pending = {start: 1}, {start: start_time}, [start]
    seen, stops = set(), set()
    while pending:
        number = pending.pop(rng.randrange(len(pending)))
        for transfer in known(number).transfers:
            if transfer.at < windows[number]:
                continue
            seen.add(transfer)
            to, tier = transfer.to_account, tiers[number]
            if to is None or tier + 1 > 5 or bank_partner_of(to) is None:
                stops.add(transfer)
            elif to not in tiers:
                tiers[to], windows[to] = tier + 1, transfer.at
                pending.append(to)
    return tiers, seen, stops


@pytest.mark.parametrize("shuffle_seed", [1, 2, 3])
def test_a_trace_does_not_depend_on_the_order_banks_answer_in(shuffle_seed):
    rng = random.Random(shuffle_seed)
    paylink = dataset("paylink")
    for number in sample_order_numbers("paylink", 6):
        order = paylink.lookup(number)
        assert order is not None
        expected = LEDGER.expected_trace(order.payee.number, order.paid_at)
        tiers, seen, stops = _trace_in_any_order(order.payee.number, order.paid_at, rng)
        assert tiers == expected.tiers
        assert seen == set(expected.transfers)
        assert stops == {transfer for transfer, _ in expected.stops}
