"""An officer's trace in Chromium: started from the case's answered lookup, the graph growing as
the bank answers (the test thread answers as the bank's adapter), a node opened and its
payment stopped, its state changing when the bank confirms; no CSP violation on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from exchange.models import Query, Trace
from exchange.services import answers
from partners.identity import AdapterPrincipal
from tests import factories
from tests.browser.test_console import sign_in
from tests.conftest import World
from tests.console.conftest import answer

pytestmark = pytest.mark.browser

NEXT_ACCOUNT = "6222020000000002"


def as_bank(key: Any, query: Query, result: dict[str, Any]) -> None:
    answers.answer_record(
        actor=AdapterPrincipal(key=key.key),
        query_id=query.pk,
        payload={"status": "answered", "result": result},
    )


def test_an_officer_traces_the_money_and_stops_payment_on_a_node(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    world = live_world
    for kind in ("account_transfers", "stop_payment"):
        factories.grant(world.unit_a, world.bank, kind)
    bank_key = factories.adapter_key(world.bank)
    answer(world, world.query_a)  # the platform names the account the victim paid into
    base = live_server.url
    sign_in(page, base, world)
    page.get_by_test_id("language-en").click()

    page.goto(f"{base}/console/cases/{world.case_a.pk}/")
    page.fill("#id_max_tiers", "2")
    page.get_by_test_id("trace-start").click()
    trace = Trace.objects.get(case=world.case_a)
    expect(page).to_have_url(f"{base}/console/traces/{trace.pk}/")
    expect(page).to_have_title(re.compile("^Trace"))
    nodes = page.get_by_test_id("trace-node")
    expect(nodes).to_have_count(1)
    expect(nodes.first.get_by_test_id("node-state")).to_have_text("Asking the bank")
    expect(nodes.first).to_contain_text("6222 **** **** 3445")

    first = trace.accounts.get(tier=1)
    assert first.query is not None
    as_bank(
        bank_key,
        first.query,
        {
            "holder_name": "李四",
            "holder_id_number": "110101199001011234",
            "balance": "3000.00",
            "transfers": [
                {
                    "to_account": NEXT_ACCOUNT,
                    "amount": "2200.00",
                    "at": "2026-11-21T10:20:00+08:00",
                    "channel": "online_banking",
                }
            ],
        },
    )
    # No reload: the graph polls itself while the trace runs; tier 2 appears.
    expect(nodes).to_have_count(2, timeout=10_000)
    expect(page.get_by_test_id("tier")).to_have_count(2)
    tier_one = page.locator(f'[data-testid="trace-node"][data-node="{first.pk}"]')
    expect(tier_one).to_have_attribute("data-state", "answered")
    # The transfer is drawn as a line from tier 1's node to tier 2's (trace_graph.js), left to right.
    second = trace.accounts.get(tier=2)
    line = page.locator(f'svg.edges path.edge[data-from="{first.pk}"][data-to="{second.pk}"]')
    expect(line).to_have_count(1)
    start_x, end_x = (float(v) for v in re.findall(r"-?[\d.]+", line.get_attribute("d") or "")[0:7:6])
    assert start_x < end_x

    tier_one.click()
    panel = page.get_by_test_id("node-panel")
    expect(panel).to_have_attribute("data-node", str(first.pk))
    expect(page).to_have_url(re.compile(rf"\?node={first.pk}$"))
    panel.get_by_test_id("node-stop-payment").click()
    expect(panel.get_by_test_id("node-sent")).to_have_text("Sent to the bank.")
    expect(page.get_by_test_id("node-panel")).to_have_attribute("data-state", "stop_sent")
    expect(tier_one).to_have_attribute("data-state", "stop_sent", timeout=10_000)

    stop = Query.objects.get(kind="stop_payment")
    as_bank(
        bank_key,
        stop,
        {"outcome": "stopped", "amount_held": "3000.00", "stopped_at": "2026-11-21T11:00:00+08:00"},
    )
    expect(tier_one).to_have_attribute("data-state", "stopped", timeout=10_000)
    expect(tier_one.get_by_test_id("node-state")).to_have_text("Payment stopped")
    expect(page.get_by_test_id("node-panel")).to_have_attribute("data-state", "stopped", timeout=10_000)
    expect(page.get_by_test_id("export-csv")).to_have_attribute(
        "href", f"/console/traces/{trace.pk}/export/csv/"
    )
    assert csp_violations == []
