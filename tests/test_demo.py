"""The README's demo command, run as a newcomer would, on a fresh SQLite file: it seeds,
starts the gateway, a worker, the simulated platforms and banks, walks a lookup through each
platform and follows one lookup's money through the banks with stop-payments."""

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from demo.orders import TRACE_TIERS, traceable_order
from simulator.dataset import dataset
from simulator.ledger import Stop, ledger

ROOT = Path(__file__).resolve().parents[1]
TRACE_LINE = re.compile(
    r"trace finished: (\d+) tiers, (\d+) accounts, (\d+) transfers; stop-payments (\d+) sent, "
    r"(\d+) stopped, (\d+\.\d\d) yuan stopped; last stop-payment answered (\d+\.\d) s after"
)


def expected_figures() -> tuple[int, int, int]:
    """The walkthrough trace's accounts, transfers and stop-payments, as the banks' ledger has
    them: every account met (asked, or a transfer's target not followed), every transfer seen,
    and a stop-payment for every asked account that still holds money."""
    order = dataset("paylink").lookup(traceable_order("paylink"))
    assert order is not None
    book = ledger()
    expected = book.expected_trace(order.payee.number, order.paid_at, TRACE_TIERS)
    met = set(expected.tiers) | {
        transfer.to_account for transfer, why in expected.stops if why is not Stop.CASH_OUT
    }
    holding = [
        number for number in expected.tiers if (account := book.account(number)) and account.balance > 0
    ]
    return len(met), len(expected.transfers), len(holding)


def test_demo_seeds_starts_everything_answers_a_lookup_per_platform_and_traces_one(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    run = [sys.executable, "manage.py", "demo", "--no-serve"]
    first = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True)
    assert "cq.officer" in first.stdout
    assert "afx-demo-password" in first.stdout
    answered = re.findall(r"at (paylink|swiftpay) \((push|pull)\): answered in (\d+) ms", first.stdout)
    assert [(partner, mode) for partner, mode, _ in answered] == [("paylink", "push"), ("swiftpay", "pull")]
    assert all(int(ms) < 5000 for _, _, ms in answered)
    assert re.search(r"6\d{3} \*{4} \*{4} \d{4}", first.stdout)  # the account, masked
    assert "http://127.0.0.1:8000/api/v1/docs/" in first.stdout

    traced = TRACE_LINE.search(first.stdout)
    assert traced, first.stdout
    tiers, accounts, transfers, sent, stopped, amount, seconds = traced.groups()
    assert int(tiers) == TRACE_TIERS
    assert (int(accounts), int(transfers), int(sent)) == expected_figures()
    assert 0 < int(stopped) <= int(sent)
    assert Decimal(amount) > 0
    assert float(seconds) < 60
    assert re.search(r"its graph: http://127\.0\.0\.1:8000/api/v1/traces/[0-9a-f-]{36}/", first.stdout)

    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True)
    assert "already seeded" in again.stdout
    assert "answered in" in again.stdout
    assert TRACE_LINE.search(again.stdout)
