"""Answers of one trace recorded at the same moment, in threads of their own, on PostgreSQL:
the engine locks no trace, so the database alone keeps an account from being asked twice
(each answer reads the trace before either writes)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from exchange.models import TraceAccount
from exchange.traces import engine
from tests.exchange.test_traces import A, B, Banks, C, answer, banks, node, start, transfer

X, Y, Z = "6222020000000011", "6217000000000012", "6222020000000013"
SMALL = "6217000000000014"  # met first by a transfer below the threshold, then by larger ones
OVERLAP_SECONDS = 0.3

pytestmark = pytest.mark.integration


def transfers_answer(moves: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "status": "answered",
        "result": {
            "holder_name": "王五",
            "holder_id_number": "110101199001011234",
            "balance": "0.00",
            "transfers": moves,
        },
    }


@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_ask_each_account_once(world: Any, monkeypatch: Any) -> None:
    assert connection.vendor == "postgresql", "integration tests need DATABASE_URL on PostgreSQL"
    held: Banks = banks(world)
    trace = start(world, account_number=A, min_amount=Decimal("100.00"))
    answer(
        held,
        node(trace, A).query,
        transfers_answer([transfer(B, "500.00"), transfer(C, "500.00"), transfer(SMALL, "50.00")]),
    )
    # B and C answer at once; both name X, Y, Z (in other orders) and both now reach SMALL
    # with a transfer that passes the threshold.
    known = engine._NextTier._known

    def slow_known(self: Any, accounts: list[str]) -> Any:
        found = known(self, accounts)
        time.sleep(OVERLAP_SECONDS)  # both answers have read the trace before either writes
        return found

    monkeypatch.setattr(engine._NextTier, "_known", slow_known)
    moves = {
        B: [transfer(X, "200.00"), transfer(Y, "200.00"), transfer(Z, "200.00"), transfer(SMALL, "150.00")],
        C: [transfer(Z, "300.00"), transfer(SMALL, "120.00"), transfer(Y, "300.00"), transfer(X, "300.00")],
    }
    errors: list[BaseException] = []

    def answer_in_thread(account: str) -> None:
        try:
            answer(held, node(trace, account).query, transfers_answer(moves[account]))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer_in_thread, args=(account,)) for account in (B, C)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    for account in (X, Y, Z, SMALL):
        met = node(trace, account)  # exactly one node (`get`)
        assert met.query is not None and met.tier == 3
        assert trace.queries.filter(kind="account_transfers", pk=met.query.pk).count() == 1
        assert met.incoming.count() == (3 if account == SMALL else 2)
    asked = trace.queries.filter(kind="account_transfers").count()
    assert asked == 3 + 4  # A, B, C, then X, Y, Z and SMALL once each
    assert TraceAccount.objects.filter(trace=trace).count() == 7
