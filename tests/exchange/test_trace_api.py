"""The traces' API: start, read the state and the graph, export as JSON and CSV; scope and input."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from exchange.models import Hold, Trace
from exchange.services.traces import TraceRequest, trace_start
from tests import factories
from tests.exchange.test_traces import (
    LOOKUP_ACCOUNT,
    Banks,
    answer_lookup,
    banks,
    node,
    stopped,
    transfer,
    transfers,
)
from tests.permission_matrix import IDENTITIES

A = "6222020000000001"
B = "6222020000000002"
C = "6217000000000003"


@pytest.fixture
def held(world: Any) -> Banks:
    return banks(world)


def post(world: Any, body: dict[str, Any], identity: str = "officer_a") -> Any:
    return world.client(identity).post(f"/api/v1/cases/{world.case_a.pk}/traces/", body, format="json")


def read(world: Any, trace_id: Any, identity: str = "officer_a", query: str = "") -> Any:
    return world.client(identity).get(f"/api/v1/traces/{trace_id}/{query}")


STATE = ("state", "tiers_done", "queries_outstanding", "accounts_found", "amount_found", "amount_stopped")


def assert_state_alone_agrees(world: Any, trace_id: Any) -> dict[str, Any]:
    """`?graph=false` reads the same state as the full reading, by counts, without the graph."""
    full = read(world, trace_id).json()
    alone = read(world, trace_id, query="?graph=false").json()
    assert "nodes" not in alone and "edges" not in alone
    assert {key: alone[key] for key in STATE} == {key: full[key] for key in STATE}
    return full


def test_a_trace_from_a_lookup_runs_to_its_graph(world: Any, held: Banks) -> None:
    lookup = answer_lookup(world)
    started = post(world, {"from_query": str(lookup.pk), "stop_payments": True, "max_tiers": 2})
    assert started.status_code == 201, started.content
    body = started.json()
    assert (body["state"], body["accounts_found"], body["queries_outstanding"]) == ("running", 1, 1)
    trace_id = body["id"]
    trace = Trace.objects.get(pk=trace_id)
    transfers(
        held,
        trace,
        LOOKUP_ACCOUNT,
        [transfer(B, "3000.00"), transfer(C, "1000.00"), transfer(None, "900.00")],
        balance="300.00",
    )
    running = assert_state_alone_agrees(world, trace_id)
    assert running["tiers_done"] == 1 and running["state"] == "running"
    transfers(held, trace, B, [transfer(A, "3000.00")], balance="0.00")
    transfers(held, trace, C, [], balance="1000.00")
    stopped(held, node(trace, LOOKUP_ACCOUNT).stop_query, "300.00")
    stopped(held, node(trace, C).stop_query, "1000.00")
    graph = assert_state_alone_agrees(world, trace_id)
    assert graph["state"] == "finished" and graph["finished_at"] is not None
    assert (graph["tiers_done"], graph["queries_outstanding"], graph["accounts_found"]) == (2, 0, 4)
    assert (graph["amount_found"], graph["amount_stopped"]) == ("1300.00", "1300.00")
    nodes = {n["id"]: n for n in graph["nodes"]}
    a = nodes[str(node(trace, A).pk)]
    assert (a["tier"], a["stop_reason"], a["asked"]) == (3, "tier_limit", False)
    c = nodes[str(node(trace, C).pk)]
    assert (
        c["bank"] == "bank-west"
        and c["stop"]["outcome"] == "stopped"
        and c["stop"]["amount_held"] == "1000.00"
    )
    assert all(LOOKUP_ACCOUNT not in n["account"] and B not in n["account"] for n in nodes.values())
    assert len(graph["edges"]) == 4
    assert next(e for e in graph["edges"] if e["target_id"] is None)["channel"] == "cash_withdrawal"
    assert B not in json.dumps(graph) and "李四" not in json.dumps(graph)


def test_the_graph_shows_the_cases_holds_and_other_units_cases(world: Any, held: Banks) -> None:
    trace = trace_start(
        actor=world.officer_a, request=TraceRequest(case_id=world.case_a.pk, account_number=A)
    )
    transfers(held, trace, A, [transfer(B, "100.00")], balance="5.00")
    held_query = node(trace, A).query
    assert held_query is not None
    Hold.objects.create(
        case=world.case_a,
        query=held_query,
        bank=held.east,
        kind="stop_payment",
        account=A,
        amount="5.00",
        started_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=48),
    )
    # Another unit's case met B already (its own trace found it).
    factories.grant(world.unit_b, held.east, "account_transfers")
    other_case = factories.case(world.officer_b)
    other = trace_start(actor=world.officer_b, request=TraceRequest(case_id=other_case.pk, account_number=A))
    transfers(held, other, A, [transfer(B, "100.00")])
    nodes = {n["id"]: n for n in read(world, trace.pk).json()["nodes"]}
    a, b = nodes[str(node(trace, A).pk)], nodes[str(node(trace, B).pk)]
    assert a["hold"]["kind"] == "stop_payment" and a["hold"]["status"] == "active"
    assert b["hold"] is None and b["other_units_cases"] == 1


def test_exports_as_json_and_csv_are_attachments_and_audited(world: Any, held: Banks) -> None:
    trace = trace_start(
        actor=world.officer_a, request=TraceRequest(case_id=world.case_a.pk, account_number=A)
    )
    transfers(held, trace, A, [transfer(B, "100.00"), transfer(None, "20.00")])
    client = world.client("officer_a")
    as_csv = client.get(f"/api/v1/traces/{trace.pk}/export/", {"format": "csv"})
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    assert as_csv["Content-Disposition"] == f'attachment; filename="afx-trace-{trace.pk}.csv"'
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert [(r["source_tier"], r["target_tier"], r["amount"], r["channel"]) for r in rows] == [
        ("1", "2", "100.00", "online_banking"),
        ("1", "", "20.00", "cash_withdrawal"),
    ]
    assert A not in as_csv.content.decode() and B not in as_csv.content.decode()
    as_json = client.get(f"/api/v1/traces/{trace.pk}/export/", {"format": "json"})
    assert as_json.status_code == 200 and as_json["Content-Disposition"].endswith('.json"')
    assert json.loads(as_json.content)["edges"] == read(world, trace.pk).json()["edges"]
    exported = AuditEvent.objects.filter(action="trace_exported", target_id=str(trace.pk))
    assert sorted(e.details["format"] for e in exported) == ["csv", "json"]
    assert all(e.case_id == str(world.case_a.pk) for e in exported)
    assert AuditEvent.objects.filter(action="trace_viewed", target_id=str(trace.pk)).count() == 1
    bad = client.get(f"/api/v1/traces/{trace.pk}/export/", {"format": "xml"})
    assert bad.status_code == 400 and "xml" not in bad.content.decode()
    not_a_flag = client.get(f"/api/v1/traces/{trace.pk}/", {"graph": "maybe-xyz"})
    assert not_a_flag.status_code == 400 and "maybe-xyz" not in not_a_flag.content.decode()


@pytest.mark.parametrize("identity", IDENTITIES)
def test_who_reads_a_trace(world: Any, held: Banks, identity: str) -> None:
    trace = trace_start(
        actor=world.officer_a, request=TraceRequest(case_id=world.case_a.pk, account_number=A)
    )
    expected = {"officer_a": 200, "supervisor_a": 200, "auditor": 200, "officer_b": 404, "anonymous": 401}
    response = read(world, trace.pk, identity)
    assert response.status_code == expected.get(identity, 403)


def test_another_units_trace_is_the_404_of_a_missing_one(world: Any, held: Banks) -> None:
    trace = trace_start(
        actor=world.officer_a, request=TraceRequest(case_id=world.case_a.pk, account_number=A)
    )
    theirs = read(world, trace.pk, "officer_b")
    missing = read(world, "00000000-0000-0000-0000-000000000000", "officer_b")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert post(world, {"account_number": A}, "officer_b").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"account_number": A, "from_query": "00000000-0000-0000-0000-000000000000"},
        {"account_number": A, "max_tiers": 6},
        {"account_number": A, "max_tiers": 0},
        {"account_number": A, "min_amount": "-1"},
        {"account_number": "12ab"},
        {"account_number": A, "stop_payments": "maybe"},
    ],
)
def test_bad_input_is_a_400_that_quotes_nothing(world: Any, held: Banks, body: dict[str, Any]) -> None:
    response = post(world, body)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert "12ab" not in response.content.decode() and "maybe" not in response.content.decode()


def test_a_lookup_not_answered_or_of_another_case_is_a_400(world: Any, held: Banks) -> None:
    assert post(world, {"from_query": str(world.query_a.pk)}).status_code == 400
