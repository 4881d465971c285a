"""Acting on a trace's node: `trace_node_stop` and its API twin,
`POST /api/v1/traces/{id}/nodes/{node}/stop/`: what the act takes from the trace's rows,
what it refuses, and what it records."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.dateparse import parse_datetime

from audit.models import AuditEvent
from core.errors import Conflict, DomainError, Invalid
from exchange.models import Query
from exchange.services.trace_nodes import NodeAct, trace_node_stop
from tests.exchange.matrix_traces import START_ACCOUNT, answered_trace
from tests.exchange.test_traces import Banks, stopped
from tests.factories import adapter_key


def act(world: Any, trace: Any, node: Any, kind: str = "stop_payment", **more: Any) -> Query:
    return trace_node_stop(
        actor=world.officer_a, trace_id=trace.pk, node_id=node.pk, act=NodeAct(kind=kind, **more)
    )


def test_the_api_sends_a_stop_payment_for_the_nodes_account_masked_in_its_answer(world):
    trace, node = answered_trace(world)
    response = world.client("officer_a").post(
        f"/api/v1/traces/{trace.pk}/nodes/{node.pk}/stop/", {"kind": "stop_payment"}, format="json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert (
        body["kind"] == "stop_payment" and body["partner"] == world.bank.code and body["status"] == "pending"
    )
    assert START_ACCOUNT not in response.content.decode() and "王五" not in response.content.decode()
    stop = Query.objects.get(pk=body["id"])
    # The trace's start, as its own stops cite it.
    assert parse_datetime(stop.params["transaction_at"]) == parse_datetime("2026-11-21T10:00:00+08:00")
    assert stop.personal_input_document()["holder_name"] == "王五"  # the holder its bank named
    node.refresh_from_db()
    assert node.stop_query_id == stop.pk


def test_the_api_refuses_a_freeze_without_its_decision_and_an_unknown_kind(world):
    trace, node = answered_trace(world)
    client = world.client("officer_a")
    path = f"/api/v1/traces/{trace.pk}/nodes/{node.pk}/stop/"
    assert client.post(path, {"kind": "freeze"}, format="json").status_code == 400
    assert client.post(path, {"kind": "release"}, format="json").status_code == 400
    assert not Query.objects.filter(kind__in=("freeze", "stop_payment")).exists()


def test_a_node_its_bank_has_not_answered_cannot_be_stopped(world):
    trace, _ = answered_trace(world)
    waiting = trace.accounts.get(tier=2)
    with pytest.raises(Conflict) as refused:
        act(world, trace, waiting)
    assert refused.value.code == "node_not_answered"


def test_a_freeze_takes_the_reported_balance_and_waits_for_a_supervisor(world):
    trace, node = answered_trace(world)
    freeze = act(world, trace, node, "freeze", decision_reference="FD-2026-0042", period_days=30)
    assert (freeze.status, freeze.params["amount"], freeze.params["period_days"]) == (
        "awaiting_approval",
        "300.00",
        30,
    )
    assert (freeze.trace_id, freeze.parent_id) == (trace.pk, node.query_id)
    assert AuditEvent.objects.filter(action="freeze_requested", target_id=str(freeze.pk)).count() == 1
    with pytest.raises(Conflict):
        act(world, trace, node, "freeze", decision_reference="FD-2026-0043")


def test_a_third_stop_of_the_account_is_refused_committed_and_raised(world):
    trace, node = answered_trace(world)
    key = adapter_key(world.bank)
    for _ in range(2):
        sent = act(world, trace, node)
        stopped(Banks(east=world.bank, west=world.bank, keys={world.bank.pk: key}), sent, "300.00")
    with pytest.raises(DomainError) as refused:
        act(world, trace, node)
    assert refused.value.code == "stop_limit_reached"
    third = Query.objects.filter(kind="stop_payment").order_by("-created_at").first()
    assert third is not None and third.status == "refused" and third.reason == "stop_limit_reached"


def test_the_act_is_invalid_without_a_known_kind():
    with pytest.raises(Invalid):
        NodeAct(kind="freeze_release")
