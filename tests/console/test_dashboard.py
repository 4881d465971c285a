"""The police's dashboard: the unit's stop-payments about to end, soonest first, and the
queries whose accounts other cases list on the watchlist; never an account in the page."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from exchange import selectors
from exchange.models import Case, Finding, Hold, Query
from tests import factories
from tests.watchlist.service_matrix import ACCOUNT, listed
from watchlist import services

STOP_ACCOUNT = "6222020200556677889"


def english(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    client.post("/console/language/", {"language": "en"})
    return client


def stop_query(world: Any, case: Case, account: str = STOP_ACCOUNT) -> Query:
    """An answered stop-payment of `case` on `account` (as the bank's answer leaves it)."""
    return Query.objects.create(
        case=case,
        kind="stop_payment",
        partner=world.bank,
        requested_by=case.opened_by,
        subject_kind="account",
        subject=account,
        status="answered",
        deadline=timezone.now() + timedelta(seconds=60),
    )


def hold(world: Any, case: Case, *, ends_in: timedelta, kind: str = "stop_payment", **fields: Any) -> Hold:
    now = timezone.now()
    return Hold.objects.create(
        case=case,
        query=stop_query(world, case),
        bank=world.bank,
        kind=kind,
        account=STOP_ACCOUNT,
        amount=Decimal(fields.pop("amount", "1200.00")),
        started_at=now + ends_in - timedelta(hours=48),
        expires_at=now + ends_in,
        **fields,
    )


@pytest.fixture
def stops(world: Any) -> dict[str, Hold]:
    case_b = factories.case(world.officer_b, "B-0001")
    second = factories.case(world.officer_a, "A-0002")
    return {
        "later": hold(world, world.case_a, ends_in=timedelta(hours=20), amount="300.00"),
        "soon": hold(world, second, ends_in=timedelta(hours=2), amount="5200.00"),
        "tomorrow": hold(world, world.case_a, ends_in=timedelta(hours=30)),
        "passed": hold(world, world.case_a, ends_in=-timedelta(minutes=5)),
        "freeze": hold(world, world.case_a, ends_in=timedelta(hours=3), kind="freeze"),
        "replaced": hold(world, world.case_a, ends_in=timedelta(hours=4), status="replaced"),
        "other_unit": hold(world, case_b, ends_in=timedelta(hours=1)),
    }


def test_the_selector_keeps_the_units_stops_in_force_ending_within_the_window(world, stops):
    found = list(selectors.stops_expiring(world.officer_a, within=timedelta(hours=24)))
    assert found == [stops["soon"], stops["later"]]
    assert list(selectors.stops_expiring(world.officer_b, within=timedelta(hours=24))) == [
        stops["other_unit"]
    ]
    assert list(selectors.stops_expiring(world.administrator, within=timedelta(hours=24))) == []


def test_the_dashboard_lists_stops_ending_soon_soonest_first_with_links_to_their_cases(world, stops):
    page = english(world.officer_a).get("/console/").content.decode()
    assert re.search(r'data-testid="stops-expiring-count">2<', page)
    rows = re.findall(r'<tr data-testid="stop-expiring">(.*?)</tr>', page, re.S)
    assert len(rows) == 2
    assert "A-0002" in rows[0] and "¥5,200.00" in rows[0] and re.search(r"\b1 h [0-5]\d min", rows[0])
    assert (
        world.case_a.number in rows[1] and "¥300.00" in rows[1] and re.search(r"\b19 h [0-5]\d min", rows[1])
    )
    assert f'href="/console/cases/{stops["soon"].case_id}/"' in rows[0]
    assert f'href="/console/cases/{world.case_a.pk}/"' in rows[1]
    assert "B-0001" not in page
    assert "5566 7788" not in page and STOP_ACCOUNT not in page and "7889" not in page


def test_no_stop_ending_soon_says_so(world):
    page = english(world.officer_a).get("/console/").content.decode()
    assert re.search(r'data-testid="stops-expiring-count">0<', page)
    assert "No stop-payment ends soon." in page


def test_a_query_whose_answer_names_an_account_another_case_lists_is_flagged(world):
    other_case = factories.case(world.officer_a, "A-0002")
    listed(world, case=other_case)  # case A-0002 met the account and listed it
    Finding.objects.create(
        query=world.query_a, case=world.case_a, partner=world.platform_x, kind="account", value=ACCOUNT
    )
    page = english(world.officer_a).get("/console/").content.decode()
    rows = re.findall(r'<tr data-testid="watchlist-flag">(.*?)</tr>', page, re.S)
    # Case A's lookup is flagged (one other case lists what its answer named); case A-0002's
    # own query is not: the only case that lists it is its own.
    assert len(rows) == 1
    assert world.case_a.number in rows[0] and "named in the answer" in rows[0]
    assert re.search(r'<td class="num">1</td>', rows[0])
    assert "A-0002" not in rows[0]
    assert "2233" not in page and ACCOUNT not in page


def test_a_query_asking_about_an_account_another_units_case_lists_is_flagged(world):
    case_b = factories.case(world.officer_b, "B-0001")
    Finding.objects.create(
        query=factories.query(world.officer_b, case_b, world.platform_y),
        case=case_b,
        partner=world.platform_y,
        kind="account",
        value=STOP_ACCOUNT,
    )
    supervisor_b = factories.person(world.unit_b, "supervisor", "supervisor-b")
    services.entry_list(
        actor=supervisor_b,
        case_id=case_b.pk,
        value=STOP_ACCOUNT,
        kind="account",
        reason="mule_account",
        restriction="block",
    )
    stop_query(world, world.case_a)
    page = english(world.officer_a).get("/console/").content.decode()
    rows = re.findall(r'<tr data-testid="watchlist-flag">(.*?)</tr>', page, re.S)
    assert len(rows) == 1 and "asked about" in rows[0] and world.case_a.number in rows[0]
    assert "B-0001" not in page  # a count, never which case
    # Unit B's own officer is not flagged by its own listing.
    page_b = english(world.officer_b).get("/console/").content.decode()
    assert re.search(r'data-testid="watchlist-flags-count">0<', page_b)


def test_closed_cases_raise_no_flag(world):
    other_case = factories.case(world.officer_a, "A-0002")
    listed(world, case=other_case)
    Finding.objects.create(
        query=world.query_a, case=world.case_a, partner=world.platform_x, kind="account", value=ACCOUNT
    )
    Case.objects.filter(pk=world.case_a.pk).update(status="closed")
    page = english(world.officer_a).get("/console/").content.decode()
    assert re.search(r'data-testid="watchlist-flags-count">0<', page)
