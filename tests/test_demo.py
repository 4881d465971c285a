"""The README's demo command, run as a newcomer would, on a fresh SQLite file: it seeds,
starts the gateway, a worker, the simulated platforms and banks, walks a lookup through each
platform and follows one lookup's money through the banks with stop-payments, lists the
lookup's account on the watchlist and has a bank check it, has the telecom block a number,
and reads the centre's figures and the gateway's metrics."""

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
MASKED_ACCOUNT = r"6\d{3} \*{4} \*{4} \d{4}"
LISTED_LINE = re.compile(
    rf"cq\.supervisor listed account ({MASKED_ACCOUNT}) on the watchlist: mule_account, counter_only, "
    r"until \d{4}-\d\d-\d\d \((\d+) cases?\)"
)
CHECK_LINE = re.compile(
    rf"bank-east checked account ({MASKED_ACCOUNT}): listed: (true|false), restriction: (\w+)"
)
BLOCK_LINE = re.compile(
    r"number (\S+) at tel-east \(pull\): answered in (\d+) ms -> (blocked|already_blocked) until \d{4}-"
)
FIGURES_LINE = re.compile(
    r"cq-afc's figures for [-\d to]+: (\d+) queries, (\d+) traces started, (\d+) finished; "
    r"(\d+) stops made, (\d+\.\d\d) yuan stopped; (\d+) number blocks answered, (\d+) numbers blocked; "
    r"watchlist: (\d+) on the list, (\d+) hits"
)
METRICS_LINE = re.compile(r"http://127\.0\.0\.1:8000/metrics served (\d+) afx_ metric lines")


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
    assert re.search(MASKED_ACCOUNT, first.stdout)  # the account, masked
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

    # The traced lookup's account (the trace's tier 1), listed by the supervisor, masked.
    listed = LISTED_LINE.search(first.stdout)
    assert listed, first.stdout
    paylink_account = re.search(
        rf"at paylink \(push\): answered in \d+ ms -> \S+ ({MASKED_ACCOUNT})", first.stdout
    )
    assert paylink_account and listed[1] == paylink_account[1]
    assert listed[2] == "1"
    # bank-east's check hits it and misses the other lookup's account.
    checks = CHECK_LINE.findall(first.stdout)
    assert checks == [(listed[1], "true", "counter_only"), (checks[1][0], "false", "none")]
    assert checks[1][0] != listed[1]
    for partner in ("paylink", "swiftpay"):
        order = dataset(partner).lookup(traceable_order(partner))
        assert order is not None and order.payee.number not in first.stdout  # never in plaintext

    # The telecom blocks the number, shown masked.
    blocked = BLOCK_LINE.search(first.stdout)
    assert blocked, first.stdout
    assert blocked[3] == "blocked" and "*" in blocked[1]
    assert "6110" in blocked[1] and "0230" not in blocked[1]

    # The centre's figures count this run: two lookups, the trace's queries, the block.
    figures = FIGURES_LINE.search(first.stdout)
    assert figures, first.stdout
    queries, started, finished, made, amount_made, blocks, blocked_numbers, on_list, hits = figures.groups()
    assert int(queries) >= 3 + int(sent)
    assert (int(started), int(finished), int(blocks), int(blocked_numbers)) == (1, 1, 1, 1)
    assert (int(on_list), int(hits)) == (1, 1)  # the account listed, and bank-east's check of it
    assert (int(made), Decimal(amount_made)) == (int(stopped), Decimal(amount))

    served = METRICS_LINE.search(first.stdout)
    assert served and int(served[1]) > 0
    # The console: the officer signs in as a browser does and lands on the dashboard.
    assert "The console: http://127.0.0.1:8000/console/" in first.stdout
    assert "cq.officer signed in there: /console/ 200." in first.stdout, first.stdout

    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True)
    assert "already seeded" in again.stdout
    assert "answered in" in again.stdout
    assert TRACE_LINE.search(again.stdout)
    # Listed again from a new case: the unit's one entry now counts both cases.
    relisted = LISTED_LINE.search(again.stdout)
    assert relisted and relisted[2] == "2"
    assert CHECK_LINE.findall(again.stdout)[0][1:] == ("true", "counter_only")
    assert BLOCK_LINE.search(again.stdout)
    again_figures = FIGURES_LINE.search(again.stdout)
    assert again_figures and int(again_figures[2]) >= 1
    assert METRICS_LINE.search(again.stdout)
