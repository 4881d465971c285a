"""Service-matrix rows of the traces services: starting one (police of unit A, in its case),
reading and exporting one (police of unit A and auditors); the trace read is started by unit
A's officer first, with a grant to the world's bank."""

from __future__ import annotations

import uuid
from typing import Any

from exchange import selectors
from exchange.models import Trace
from exchange.services.trace_nodes import NodeAct, trace_node_stop
from exchange.services.traces import TraceRequest, trace_start
from tests import factories
from tests.conftest import BANK_BIN
from tests.exchange.matrix_traces import answered_trace
from tests.service_matrix import ServiceRow, every

START_ACCOUNT = f"{BANK_BIN}0000000001"


def _reaching(*identities: str) -> dict[str, str]:
    return every("not_found", **dict.fromkeys(identities, "ok"))


def _start(world: Any, actor: Any, case_id: Any = None) -> Trace:
    return trace_start(
        actor=actor, request=TraceRequest(case_id=case_id or world.case_a.pk, account_number=START_ACCOUNT)
    )


def _started(world: Any) -> Trace:
    factories.grant(world.unit_a, world.bank, "account_transfers")
    return _start(world, world.officer_a)


ROWS: list[ServiceRow] = [
    ServiceRow("exchange.services.traces.trace_start", _start, _reaching("officer_a", "supervisor_a")),
    ServiceRow(
        "exchange.services.traces.trace_start",
        lambda w, a: _start(w, a, case_id=uuid.uuid4()),
        every("not_found"),
        variant="missing case",
    ),
    ServiceRow(
        "exchange.selectors.trace_get",
        lambda w, a: selectors.trace_get(a, _started(w).pk),
        _reaching("officer_a", "supervisor_a", "auditor"),
    ),
    ServiceRow(
        "exchange.selectors.trace_get",
        lambda w, a: selectors.trace_get(a, "not-a-uuid"),
        every("not_found"),
        variant="not a key",
    ),
    ServiceRow(
        "exchange.selectors.trace_export",
        lambda w, a: selectors.trace_export(a, _started(w).pk, "csv"),
        _reaching("officer_a", "supervisor_a", "auditor"),
    ),
    ServiceRow(
        "exchange.selectors.trace_list",
        lambda w, a: list(selectors.trace_list(a, _started(w).case_id)),
        every("ok"),
    ),
    ServiceRow(
        "exchange.selectors.trace_node_freezes",
        lambda w, a: selectors.trace_node_freezes(a, _started(w).pk),
        every("ok"),
    ),
    ServiceRow(
        "exchange.services.trace_nodes.trace_node_stop",
        lambda w, a: _node_act(w, a, "stop_payment"),
        _reaching("officer_a", "supervisor_a"),
    ),
    ServiceRow(
        "exchange.services.trace_nodes.trace_node_stop",
        lambda w, a: _node_act(w, a, "freeze"),
        _reaching("officer_a", "supervisor_a"),
        variant="freeze",
    ),
    ServiceRow(
        "exchange.services.trace_nodes.trace_node_stop",
        lambda w, a: trace_node_stop(
            actor=a, trace_id=_started(w).pk, node_id=uuid.uuid4(), act=NodeAct(kind="stop_payment")
        ),
        every("not_found"),
        variant="a node of no trace",
    ),
]


def _node_act(world: Any, actor: Any, kind: str) -> Any:
    trace, node = answered_trace(world)
    act = NodeAct(kind=kind, decision_reference="FD-2026-0042" if kind == "freeze" else "")
    return trace_node_stop(actor=actor, trace_id=trace.pk, node_id=node.pk, act=act)
