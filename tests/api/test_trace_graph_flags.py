"""A trace's graph flags each account on the watchlist to police, as queries are flagged:
`watchlist_cases` on every node, how many cases of any unit list its account (a count,
never which), null for other readers, read in one grouped query for the whole graph."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.models import Trace
from exchange.services.traces import TraceRequest, trace_start
from tests import factories
from tests.exchange.test_traces import Banks, banks, node, transfer, transfers
from tests.watchlist.service_matrix import listed, met
from watchlist import services

A = "6222020000000001"
B = "6222020000000002"
C = "6217000000000003"
D = "6222020000000004"
E = "6217000000000005"
F = "6222020000000006"
G = "6217000000000007"


@pytest.fixture
def held(world: Any) -> Banks:
    return banks(world)


def started(world: Any) -> Trace:
    return trace_start(actor=world.officer_a, request=TraceRequest(case_id=world.case_a.pk, account_number=A))


def read(world: Any, trace: Trace, identity: str = "officer_a") -> dict[str, dict[str, Any]]:
    response = world.client(identity).get(f"/api/v1/traces/{trace.pk}/")
    assert response.status_code == 200, response.content
    return {n["id"]: n for n in response.json()["nodes"]}


def listed_by_unit_b(world: Any, account: str) -> None:
    """Unit B's supervisor lists `account` from a case of unit B that met it."""
    supervisor_b = factories.person(world.unit_b, "supervisor")
    case_b = factories.case(world.officer_b)
    met(world, account, case=case_b)
    services.entry_list(
        actor=supervisor_b,
        case_id=case_b.pk,
        value=account,
        kind="account",
        reason="sold_card",
        restriction="block",
    )


def test_a_listed_account_on_a_trace_is_flagged_with_its_number_of_cases(world: Any, held: Banks) -> None:
    trace = started(world)
    transfers(held, trace, A, [transfer(B, "100.00"), transfer(C, "200.00")])
    listed(world, B)  # from case A, which met B in this trace
    listed(world, B, case=factories.case(world.officer_a, "A-0002"))
    listed_by_unit_b(world, B)
    listed(world, C)
    delisted = services.entry_delist(
        actor=world.supervisor_a, entry_id=listed(world, A).pk, reason="listed_in_error"
    )
    assert delisted.status == "delisted"
    nodes = read(world, trace)
    flags = {account: nodes[str(node(trace, account).pk)]["watchlist_cases"] for account in (A, B, C)}
    assert flags == {A: 0, B: 3, C: 1}  # a delisted entry no longer counts
    started_body = world.client("officer_a").post(
        f"/api/v1/cases/{world.case_a.pk}/traces/", {"account_number": D}, format="json"
    )
    assert started_body.status_code == 201
    assert [n["watchlist_cases"] for n in started_body.json()["nodes"]] == [0]


def test_for_an_auditor_the_flag_is_null(world: Any, held: Banks) -> None:
    trace = started(world)
    transfers(held, trace, A, [transfer(B, "100.00")])
    listed(world, B)
    nodes = read(world, trace, "auditor")
    assert len(nodes) == 2 and {n["watchlist_cases"] for n in nodes.values()} == {None}
    state = world.client("officer_a").get(f"/api/v1/traces/{trace.pk}/?graph=false").json()
    assert "nodes" not in state


def test_the_graphs_queries_do_not_grow_with_its_nodes(
    world: Any, held: Banks, django_assert_max_num_queries: Any
) -> None:
    trace = started(world)
    transfers(held, trace, A, [transfer(B, "100.00")])
    listed(world, B)
    path = f"/api/v1/traces/{trace.pk}/"
    api = world.client("officer_a")
    api.get(path)  # warm the keyring and the session
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(path).json()["nodes"]) == 2
    transfers(held, trace, B, [transfer(C, "10.00"), transfer(D, "10.00"), transfer(E, "10.00")])
    transfers(held, trace, C, [transfer(F, "5.00"), transfer(G, "5.00")])
    for account in (C, D, F):
        listed(world, account)
    with django_assert_max_num_queries(len(small)):
        nodes = api.get(path).json()["nodes"]
    assert len(nodes) == 7
    assert sorted(n["watchlist_cases"] for n in nodes) == [0, 0, 0, 1, 1, 1, 1]
    graph_reads = [q for q in small.captured_queries if "watchlist_watchlistentry" in q["sql"]]
    assert len(graph_reads) == 1  # one grouped query for the whole graph
