"""Permission-matrix rows of the traces endpoints.

Reading and exporting need a trace, which the world does not hold: their paths are made when
the row runs (`_TracePath`), by starting one in unit A's case as its officer, with a grant to
the world's bank, so the matrix proves who reaches a real trace, not a missing one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from exchange.models import Trace, TraceAccount
from exchange.services import answers
from exchange.services.traces import TraceRequest, trace_start
from partners.identity import AdapterPrincipal
from tests import factories
from tests.conftest import BANK_BIN
from tests.exchange.conftest import ANSWER
from tests.permission_matrix import Row, every

READERS = every(403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=404, auditor=200)
START_ACCOUNT = f"{BANK_BIN}0000000001"


class _TracePath(str):
    """A path naming a trace started when the row runs (`Row.path.format(world=...)`)."""

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        world = kwargs["world"]
        factories.grant(world.unit_a, world.bank, "account_transfers")
        trace = trace_start(
            actor=world.officer_a, request=TraceRequest(case_id=world.case_a.pk, account_number=START_ACCOUNT)
        )
        return str.format(self, trace=trace)


NEXT_ACCOUNT = f"{BANK_BIN}0000000002"


def answered_trace(world: Any) -> tuple[Trace, TraceAccount]:
    """A trace of unit A's case whose tier-1 account the bank has answered for (300 yuan left
    on it, 100 sent on to a second account), with grants for every act on a node, so a
    stop-payment or a freeze of that node can leave."""
    for kind in ("account_transfers", "stop_payment", "freeze"):
        factories.grant(world.unit_a, world.bank, kind)
    trace = trace_start(
        actor=world.officer_a,
        request=TraceRequest(
            case_id=world.case_a.pk,
            account_number=START_ACCOUNT,
            amount=Decimal("400.00"),
            transaction_at=datetime.fromisoformat("2026-11-21T10:00:00+08:00"),
        ),
    )
    node = trace.accounts.get(tier=1)
    assert node.query is not None
    moves = [
        {
            "to_account": NEXT_ACCOUNT,
            "amount": "100.00",
            "at": "2026-11-21T10:05:00+08:00",
            "channel": "online_banking",
        }
    ]
    answers.answer_record(
        actor=AdapterPrincipal(key=factories.adapter_key(world.bank).key),
        query_id=node.query.pk,
        payload={
            "status": "answered",
            "result": {
                "holder_name": "王五",
                "holder_id_number": "110101199001011234",
                "balance": "300.00",
                "transfers": moves,
            },
        },
    )
    return trace, trace.accounts.get(pk=node.pk)


def lookup_answered(world: Any) -> dict[str, Any]:
    """A body starting a trace from the world's order lookup, once the platform has answered
    it (an account at the world's bank) and unit A holds the bank's transfers grant."""
    factories.grant(world.unit_a, world.bank, "account_transfers")
    answers.answer_record(
        actor=AdapterPrincipal(key=world.key_x.key), query_id=world.query_a.pk, payload=ANSWER
    )
    return {"from_query": str(world.query_a.pk), "max_tiers": "2"}


class NodePath(str):
    """A path naming a node of a trace answered when the row runs (`answered_trace`):
    `{trace.pk}` and `{node.pk}`."""

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        trace, node = answered_trace(kwargs["world"])
        return str.format(self, trace=trace, node=node)


ROWS: list[Row] = [
    Row(
        "trace-start",
        "POST",
        "/api/v1/cases/{world.case_a.pk}/traces/",
        every(403, anonymous=401, officer_a=201, supervisor_a=201, officer_b=404),
        body=lambda w: {"account_number": START_ACCOUNT, "max_tiers": 3},
    ),
    Row("trace-detail", "GET", _TracePath("/api/v1/traces/{trace.pk}/"), READERS),
    Row(
        "trace-export",
        "GET",
        _TracePath("/api/v1/traces/{trace.pk}/export/"),
        READERS,
        query={"format": "csv"},
    ),
    Row(
        "trace-node-stop",
        "POST",
        NodePath("/api/v1/traces/{trace.pk}/nodes/{node.pk}/stop/"),
        every(403, anonymous=401, officer_a=202, supervisor_a=202, officer_b=404),
        body=lambda w: {"kind": "stop_payment"},
    ),
]
