"""The police's pages in Chromium: a supervisor's dashboard shows a stop-payment about to
end and links to its case; the supervisor lists an account on the watchlist and checks two;
the figures page draws its three charts; the cases list is searched by number. No CSP
violation, no plaintext value in a page or a URL."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from exchange.models import Hold
from tests.conftest import World
from tests.console.conftest import PASSWORD, with_password
from tests.console.test_dashboard import stop_query
from tests.watchlist.service_matrix import ACCOUNT, UNLISTED, met

pytestmark = pytest.mark.browser


def sign_in_in_english(page: Page, base: str, world: World) -> None:
    with_password(world.supervisor_a)
    page.goto(f"{base}/console/sign-in/")
    page.fill("#id_username", world.supervisor_a.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page).to_have_url(f"{base}/console/")
    page.get_by_test_id("language-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_police_pages_dashboard_watchlist_figures_and_search(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    base, world = live_server.url, live_world
    now = timezone.now()
    Hold.objects.create(
        case=world.case_a,
        query=stop_query(world, world.case_a),
        bank=world.bank,
        kind="stop_payment",
        account="6222020200556677889",
        amount=Decimal("5200.00"),
        started_at=now - timedelta(hours=45),
        expires_at=now + timedelta(hours=3),
    )
    met(world)  # case A's answer named the account: it may be listed from case A
    sign_in_in_english(page, base, world)

    # The dashboard: the stop ending in three hours, linked to its case.
    expect(page.get_by_test_id("stops-expiring-count")).to_have_text("1")
    stop = page.get_by_test_id("stop-expiring")
    expect(stop).to_contain_text(world.case_a.number)
    expect(stop).to_contain_text("¥5,200.00")
    expect(stop).to_contain_text(re.compile(r"[23] h \d\d min"))
    stop.get_by_role("link", name=world.case_a.number).click()
    expect(page).to_have_url(f"{base}/console/cases/{world.case_a.pk}/")

    # The watchlist: list the account from case A, then check it and an unlisted one.
    page.get_by_role("link", name="Watchlist").click()
    form = page.get_by_test_id("watchlist-add-form")
    form.locator("#id_add_case").select_option(str(world.case_a.pk))
    form.locator("#id_add_kind").select_option("account")
    form.locator("#id_add_value").fill(ACCOUNT)
    form.locator("#id_add_reason").select_option("mule_account")
    form.locator("#id_add_restriction").select_option("block")
    page.get_by_test_id("watchlist-add").click()
    expect(page).to_have_url(f"{base}/console/watchlist/")
    entry = page.get_by_test_id("watchlist-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("6222 **** **** 3445")
    expect(entry).to_contain_text("Block: no transactions at all")

    page.locator("#id_check_values").fill(f"{ACCOUNT}\n{UNLISTED}")
    page.get_by_test_id("watchlist-check").click()
    rows = page.get_by_test_id("checked-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-listed", "yes")
    expect(rows.nth(1)).to_have_attribute("data-listed", "no")
    assert ACCOUNT not in page.content() and UNLISTED not in page.content()
    assert ACCOUNT not in page.url and "3445" not in page.url

    # The figures: three charts drawn, each with its title and its table.
    page.get_by_role("link", name="Figures").click()
    expect(page.locator("h1")).to_have_text("Figures")
    expect(page.locator("svg.chart-svg")).to_have_count(3)
    expect(page.get_by_test_id("chart-lookups").get_by_test_id("chart-bar")).to_have_count(7)
    expect(page.get_by_role("img", name="Order lookups per day")).to_be_visible()
    expect(page.get_by_test_id("figures-stopped")).to_have_text("¥5,200.00")
    box = page.locator("svg.chart-svg").first.bounding_box()
    assert box is not None and box["width"] > 300  # scaled by the style sheet, not collapsed

    # The cases list, searched by number (a GET: the number is no personal value).
    page.get_by_role("link", name="Cases").first.click()
    page.fill("#id_search_number", world.case_a.number)
    page.get_by_test_id("case-search").click()
    expect(page).to_have_url(re.compile(rf"/console/cases/\?number={world.case_a.number}$"))
    expect(page.get_by_test_id("case-link")).to_have_count(1)
    page.fill("#id_search_number", "NO-SUCH")
    page.get_by_test_id("case-search").click()
    expect(page.get_by_test_id("case-link")).to_have_count(0)
    assert csp_violations == []
