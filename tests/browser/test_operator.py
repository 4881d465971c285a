"""In Chromium: a platform's operator signs in, lands on their queue and sees a new query of
their partner arrive, masked, with its deadline; an officer searches an account (a POST: the
number is in no URL) and sees their case and the count of other units' cases."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from console.templatetags.console import shanghai
from exchange.models import Query
from partners.models import Person
from tests import factories
from tests.conftest import World
from tests.console.conftest import ANSWER_ACCOUNT, PASSWORD, answer, with_password

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, person: Person) -> None:
    page.goto(f"{base}/console/sign-in/")
    page.fill("#id_username", person.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("sign-in").click()


def test_an_operator_sees_a_query_of_their_partner_arrive_masked_with_its_deadline(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    base = live_server.url
    operator = with_password(factories.person(live_world.platform_x, "operator", "operator-x"))
    sign_in(page, base, operator)
    expect(page).to_have_url(f"{base}/console/partner/queries/")
    rows = page.get_by_test_id("operator-query")
    expect(rows).to_have_count(1)  # query A, sent before

    arrived = factories.query(live_world.officer_a, live_world.case_a, live_world.platform_x, "PX0000000777")
    # No reload: the table polls itself every 2 s.
    expect(rows).to_have_count(2, timeout=10_000)
    newest = rows.first
    expect(newest.get_by_test_id("operator-query-values")).to_have_text("PX00****0777")
    deadline = Query.objects.get(pk=arrived.pk).deadline
    expect(newest.get_by_test_id("operator-query-deadline")).to_have_text(shanghai(deadline))
    expect(newest).to_have_attribute("data-late", "false")
    assert "PX0000000777" not in page.content()

    page.locator("a[href='/console/partner/keys/']").click()
    expect(page.get_by_test_id("adapter-key")).to_have_count(1)
    expect(page.get_by_test_id("adapter-keys")).to_contain_text(live_world.key_x.key.key_id)
    assert csp_violations == []


def test_an_officer_searches_an_account_by_post(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    base = live_server.url
    answer(live_world, live_world.query_a)
    sign_in(page, base, live_world.officer_a)
    expect(page).to_have_url(f"{base}/console/")
    page.locator("a[href='/console/accounts/search/']").click()
    page.fill("#id_account_number", ANSWER_ACCOUNT)
    page.get_by_test_id("account-search").click()
    results = page.get_by_test_id("account-search-results")
    expect(results).to_contain_text("6222 **** **** 3445")
    expect(page.get_by_test_id("account-case")).to_have_count(1)
    expect(page.get_by_test_id("account-case")).to_contain_text(live_world.case_a.number)
    expect(page.get_by_test_id("other-units-cases")).to_have_attribute("data-count", "0")
    expect(page).to_have_url(f"{base}/console/accounts/search/")  # nothing in the query string
    expect(page.locator("#id_account_number")).to_have_value("")
    assert "0202 0011 2233" not in page.content()
    assert csp_violations == []
