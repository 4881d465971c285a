"""Journeys through the console in Chromium: an officer's lookup answered live and revealed,
in both languages; an anonymous visitor sent to sign in; the strict headers, with no CSP violation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from exchange.models import Query
from tests.conftest import World
from tests.console.conftest import PASSWORD, answer

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, world: World) -> None:
    page.goto(f"{base}/console/")
    expect(page).to_have_url(re.compile(r"/console/sign-in/\?next="))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_title(re.compile("登录"))
    page.fill("#id_username", world.officer_a.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page).to_have_url(f"{base}/console/")


def test_an_officer_signs_in_looks_up_an_order_and_sees_the_answer_arrive(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    base = live_server.url
    sign_in(page, base, live_world)
    expect(page.locator("h1")).to_have_text("工作台")
    expect(page.get_by_test_id("open-cases")).to_have_text("1")

    page.get_by_test_id("language-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Dashboard")

    page.get_by_role("link", name="Cases").first.click()
    page.get_by_test_id("case-link").first.click()
    expect(page.locator("h1")).to_have_text(f"Case {live_world.case_a.number}")
    expect(page).to_have_title(re.compile(live_world.case_a.number))

    page.select_option("#id_partner", live_world.platform_x.code)
    page.fill("#id_order_number", "PX0000000888")
    page.fill("#id_amount", "5200")
    page.get_by_test_id("lookup-submit").click()
    rows = page.get_by_test_id("query-row")
    expect(rows).to_have_count(2)
    new_row = rows.first
    expect(new_row).to_have_attribute("data-status", re.compile("pending|dispatched"))

    query = Query.objects.exclude(pk=live_world.query_a.pk).get(case=live_world.case_a)
    answer(live_world, query)
    # No reload: the row polls itself once a second until the answer is there.
    expect(new_row).to_have_attribute("data-status", "answered", timeout=10_000)
    expect(new_row.get_by_test_id("query-answer")).to_contain_text("6222 **** **** 3445")
    expect(new_row.get_by_test_id("query-answer")).to_contain_text("¥5,200.00")
    assert "PX0000000888" not in page.content()

    # The plaintext, once, for a purpose chosen from the list.
    new_row.locator("select[name=purpose]").select_option("freeze_request")
    new_row.get_by_test_id("reveal").click()
    expect(new_row.get_by_test_id("revealed")).to_contain_text("李四")
    expect(new_row.get_by_test_id("revealed")).to_contain_text("PX0000000888")
    assert csp_violations == []


def test_an_anonymous_visitor_is_sent_to_sign_in(page: Page, live_server: Any, live_world: World) -> None:
    page.goto(f"{live_server.url}/console/cases/{live_world.case_a.pk}/")
    expect(page).to_have_url(re.compile(r"/console/sign-in/\?next=%2Fconsole%2Fcases%2F"))
    expect(page.get_by_test_id("sign-in")).to_be_visible()


def test_the_pages_carry_strict_headers_and_raise_no_csp_violation(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    response = page.goto(f"{live_server.url}/console/sign-in/")
    assert response is not None
    headers = response.headers
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert "no-store" in headers["cache-control"]
    sign_in(page, live_server.url, live_world)
    page.goto(f"{live_server.url}/console/cases/{live_world.case_a.pk}/")
    expect(page.get_by_test_id("lookup-form")).to_be_visible()
    # htmx loaded (no CSP refusal of it) and was told to inject no style of its own.
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("window.htmx.config.includeIndicatorStyles") is False
    assert csp_violations == []
