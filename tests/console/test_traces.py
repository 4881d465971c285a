"""The trace pages: starting a trace from the case page, the graph tier by tier with its nodes
masked and their state in words, a node's stop-payment and freeze, the case-file exports."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.test import Client

from audit.models import AuditEvent
from exchange.models import Query, Trace
from exchange.services.trace_nodes import NodeAct, trace_node_stop
from tests.exchange.matrix_traces import NEXT_ACCOUNT, START_ACCOUNT, answered_trace, lookup_answered


def signed_in(person: Any) -> Client:
    """In English: the assertions read the pages' English labels."""
    client = Client()
    client.force_login(person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_case_page_starts_a_trace_from_an_answered_lookup_and_lists_it(world):
    officer = signed_in(world.officer_a)
    page = officer.get(f"/console/cases/{world.case_a.pk}/").content.decode()
    assert 'data-testid="trace-form"' not in page  # no answered lookup yet
    body = lookup_answered(world)
    page = officer.get(f"/console/cases/{world.case_a.pk}/").content.decode()
    assert f'<option value="{world.query_a.pk}">' in page
    assert "6222020011223344" not in page.replace(" ", "")  # the lookup's account, masked

    response = officer.post(f"/console/cases/{world.case_a.pk}/traces/", body)

    trace = Trace.objects.get(case=world.case_a)
    assert response.status_code == 302 and response["Location"] == f"/console/traces/{trace.pk}/"
    assert (trace.source_query_id, trace.max_tiers, trace.started_by) == (
        world.query_a.pk,
        2,
        world.officer_a,
    )
    node_query = trace.accounts.get().query
    assert node_query is not None
    assert node_query.kind == "account_transfers"
    assert AuditEvent.objects.filter(action="trace_started", target_id=str(trace.pk)).exists()
    page = officer.get(f"/console/cases/{world.case_a.pk}/").content.decode()
    assert page.count('data-testid="trace-link"') == 1


def test_a_trace_cannot_start_from_a_lookup_still_waiting(world):
    response = signed_in(world.officer_a).post(
        f"/console/cases/{world.case_a.pk}/traces/", {"from_query": world.query_a.pk, "max_tiers": 2}
    )
    assert response.status_code == 400
    assert not Trace.objects.exists()


def test_the_graph_shows_tiers_masked_nodes_their_state_in_words_and_polls_while_running(world):
    trace, node = answered_trace(world)
    response = signed_in(world.officer_a).get(f"/console/traces/{trace.pk}/")
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert page.count('data-testid="tier"') == 2 and page.count('data-testid="trace-node"') == 2
    assert START_ACCOUNT not in page and NEXT_ACCOUNT not in page and "王五" not in page
    assert f'data-node="{node.pk}" data-state="answered"' in page
    assert "Answered, nothing held" in page and "Asking the bank" in page  # the state in words
    assert 'data-live="true"' in page and 'data-testid="trace-poll"' in page
    assert (
        f"/console/traces/{trace.pk}/export/json/" in page
        and f"/console/traces/{trace.pk}/export/csv/" in page
    )
    assert "<title>Trace · AFX</title>" in page


def test_another_units_officer_meets_404_on_every_trace_page(world):
    trace, node = answered_trace(world)
    other = signed_in(world.officer_b)
    for path in (
        f"/console/traces/{trace.pk}/",
        f"/console/traces/{trace.pk}/graph/",
        f"/console/traces/{trace.pk}/nodes/{node.pk}/",
        f"/console/traces/{trace.pk}/export/json/",
    ):
        assert other.get(path).status_code == 404, path
    assert (
        other.post(f"/console/traces/{trace.pk}/nodes/{node.pk}/stop/", {"kind": "stop_payment"}).status_code
        == 404
    )
    assert not Query.objects.filter(kind="stop_payment").exists()


def test_a_node_stop_payment_sends_the_query_to_its_bank_audited_and_the_node_shows_it(world):
    trace, node = answered_trace(world)
    officer = signed_in(world.officer_a)

    response = officer.post(
        f"/console/traces/{trace.pk}/nodes/{node.pk}/stop/", {"kind": "stop_payment"}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "node-acted"
    stop = Query.objects.get(kind="stop_payment")
    assert (stop.partner, stop.trace_id, stop.tier, stop.parent_id) == (
        world.bank,
        trace.pk,
        1,
        node.query_id,
    )
    assert stop.requested_by == world.officer_a
    assert stop.params["amount"] == "400.00"  # how the money came in: the trace's start
    assert 'data-state="stop_sent"' in page and "Stop-payment sent" in page and "Sent to the bank." in page
    event = AuditEvent.objects.get(action="stop_payment_requested", target_id=str(stop.pk))
    assert event.case_id == str(world.case_a.pk) and START_ACCOUNT not in json.dumps(event.details)
    # A second click while the first is with the bank sends nothing more.
    again = officer.post(
        f"/console/traces/{trace.pk}/nodes/{node.pk}/stop/", {"kind": "stop_payment"}, HTTP_HX_REQUEST="true"
    )
    assert "already open" in again.content.decode()
    assert Query.objects.filter(kind="stop_payment").count() == 1


def test_a_node_freeze_waits_for_a_supervisor_and_the_node_says_so(world):
    trace, node = answered_trace(world)
    officer = signed_in(world.officer_a)
    missing = officer.post(f"/console/traces/{trace.pk}/nodes/{node.pk}/stop/", {"kind": "freeze"})
    assert missing.status_code == 400 and not Query.objects.filter(kind="freeze").exists()
    assert "A freeze names its decision" in missing.content.decode()  # the whole page, the error on it

    response = officer.post(
        f"/console/traces/{trace.pk}/nodes/{node.pk}/stop/",
        {"kind": "freeze", "decision_reference": "FD-2026-0042", "period_days": "90"},
    )

    assert response.status_code == 302 and response["Location"].endswith(f"?node={node.pk}")
    freeze = Query.objects.get(kind="freeze")
    assert freeze.status == "awaiting_approval" and freeze.params["period_days"] == 90
    assert freeze.params["amount"] == "300.00"  # the balance its bank reported
    page = officer.get(response["Location"]).content.decode()
    assert f'data-node="{node.pk}" data-state="freeze_awaiting"' in page
    assert "Freeze awaiting a supervisor" in page


def test_an_auditor_reads_the_graph_but_gets_no_buttons(world):
    trace, node = answered_trace(world)
    page = signed_in(world.auditor).get(f"/console/traces/{trace.pk}/?node={node.pk}").content.decode()
    assert 'data-testid="node-panel"' in page and 'data-testid="node-stop-form"' not in page
    assert (
        signed_in(world.officer_a)
        .get(f"/console/traces/{trace.pk}/?node={node.pk}")
        .content.decode()
        .count('data-testid="node-stop-form"')
        == 1
    )


def test_the_exports_are_attachments_named_by_id_and_recorded(world):
    trace, _ = answered_trace(world)
    officer = signed_in(world.officer_a)
    csv = officer.get(f"/console/traces/{trace.pk}/export/csv/")
    assert csv["Content-Disposition"] == f'attachment; filename="afx-trace-{trace.pk}.csv"'
    assert csv.content.decode().startswith("source_account,") and START_ACCOUNT not in csv.content.decode()
    document = json.loads(officer.get(f"/console/traces/{trace.pk}/export/json/").content)
    assert len(document["nodes"]) == 2 and len(document["edges"]) == 1
    assert AuditEvent.objects.filter(action="trace_exported", target_id=str(trace.pk)).count() == 2
    assert officer.get(f"/console/traces/{trace.pk}/export/xml/").status_code == 400


def test_the_poll_reads_the_state_alone_and_tells_the_page_only_when_it_changed(world):
    trace, node = answered_trace(world)
    officer = signed_in(world.officer_a)
    page = officer.get(f"/console/traces/{trace.pk}/graph/").content.decode()
    seen = re.search(r"state/\?seen=([^\"]+)\"", page)
    assert seen is not None
    state = f"/console/traces/{trace.pk}/state/"

    unchanged = officer.get(state, {"seen": unquote(seen.group(1))})
    assert unchanged.status_code == 200 and "HX-Trigger" not in unchanged
    assert AuditEvent.objects.filter(action="trace_viewed", details__state_only=True).count() == 1
    trace_node_stop(
        actor=world.officer_a, trace_id=trace.pk, node_id=node.pk, act=NodeAct(kind="stop_payment")
    )
    changed = officer.get(state, {"seen": unquote(seen.group(1))})
    assert changed["HX-Trigger"] == "trace-changed"


def test_a_settled_trace_stops_polling(world):
    trace, _ = answered_trace(world)
    Query.objects.filter(trace=trace, status="pending").update(status="expired")
    page = signed_in(world.officer_a).get(f"/console/traces/{trace.pk}/graph/").content.decode()
    assert 'data-live="false"' in page and 'data-testid="trace-poll"' not in page
    assert "Finished" in page
