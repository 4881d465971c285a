"""The watchlist's pages: entries masked, a supervisor lists and delists through the
watchlist's services, police check values by POST, never a value in a URL or echoed back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from console.views.watchlist import CheckThrottle
from tests import factories
from tests.clients import token_client
from tests.console.test_dashboard import english
from tests.watchlist.service_matrix import ACCOUNT, UNLISTED, listed, met
from watchlist.audit_actions import WatchlistAction
from watchlist.models import WatchlistEntry

MASKED = "6222 **** **** 3445"


def listing(world: Any, **changes: str) -> dict[str, str]:
    return {
        "case": str(world.case_a.pk),
        "kind": "account",
        "value": ACCOUNT,
        "reason": "mule_account",
        "restriction": "counter_only",
    } | changes


def test_a_supervisor_lists_a_value_the_case_met_and_sees_it_masked(world):
    met(world)
    client = english(world.supervisor_a)
    response = client.post("/console/watchlist/add/", listing(world))
    assert response.status_code == 302 and response.headers["Location"] == "/console/watchlist/"
    entry = WatchlistEntry.objects.get()
    assert entry.value == ACCOUNT and entry.restriction == "counter_only" and entry.unit == world.unit_a
    assert AuditEvent.objects.filter(action=WatchlistAction.ENTRY_LISTED, target_id=str(entry.pk)).exists()
    page = client.get("/console/watchlist/").content.decode()
    rows = re.findall(r'<tr data-testid="watchlist-entry".*?</tr>', page, re.S)
    assert len(rows) == 1 and MASKED in rows[0] and "Counter only" in rows[0]
    assert world.case_a.number in rows[0] and 'data-testid="watchlist-delist"' in rows[0]
    assert ACCOUNT not in page and "0011 2233" not in page


def test_a_value_the_case_never_met_is_refused_without_being_echoed(world):
    client = english(world.supervisor_a)
    response = client.post("/console/watchlist/add/", listing(world, value=UNLISTED))
    page = response.content.decode()
    assert response.status_code == 400 and "The case has not met this value" in page
    assert UNLISTED not in page and not WatchlistEntry.objects.exists()
    nonsense = client.post("/console/watchlist/add/", listing(world, value="no digits here"))
    assert nonsense.status_code == 400 and "no digits here" not in nonsense.content.decode()


def test_an_officer_sees_the_list_and_the_check_but_may_not_list(world):
    met(world)
    client = english(world.officer_a)
    page = client.get("/console/watchlist/").content.decode()
    assert 'data-testid="watchlist-check-form"' in page and 'data-testid="watchlist-add-form"' not in page
    assert client.post("/console/watchlist/add/", listing(world)).status_code == 403
    assert not WatchlistEntry.objects.exists()


def test_another_units_case_is_not_found(world):
    met(world)
    client = Client()
    supervisor_b = factories.person(world.unit_b, "supervisor", "supervisor-b")
    client.force_login(supervisor_b)
    assert client.post("/console/watchlist/add/", listing(world)).status_code == 404


def test_a_supervisor_delists_with_a_reason_and_a_second_time_is_told_it_is_off(world):
    entry = listed(world)
    client = english(world.supervisor_a)
    path = f"/console/watchlist/{entry.pk}/delist/"
    assert client.post(path, {"reason": "court_decision"}).headers["Location"] == "/console/watchlist/"
    entry.refresh_from_db()
    assert entry.status == "delisted" and entry.delist_reason == "court_decision"
    again = client.post(path, {"reason": "court_decision"})
    assert again.headers["Location"] == "/console/watchlist/?refused=not_active"
    page = client.get(again.headers["Location"]).content.decode()
    assert "The entry is no longer on the list." in page
    assert "A court decision lifts the restriction" in page
    assert english(world.officer_a).post(path, {"reason": "court_decision"}).status_code == 403
    assert client.post(path, {"reason": "free text"}).headers["Location"].endswith("refused=invalid")


def test_the_list_filters_by_status_and_refuses_an_unknown_one(world):
    listed(world)
    client = english(world.officer_a)
    assert 'data-testid="watchlist-entry"' in client.get("/console/watchlist/?status=active").content.decode()
    assert (
        'data-testid="watchlist-entry"'
        not in client.get("/console/watchlist/?status=expired").content.decode()
    )
    assert client.get("/console/watchlist/?status=nonsense").status_code == 400


def test_an_auditor_reads_every_units_entries_and_gets_no_form(world):
    listed(world)
    page = english(world.auditor).get("/console/watchlist/").content.decode()
    assert MASKED in page and world.unit_a.code in page
    assert '<form method="post" action="/console/watchlist/' not in page


def test_a_check_by_post_answers_value_by_value_masked(world):
    listed(world, restriction="block")
    client = english(world.officer_a)
    response = client.post(
        "/console/watchlist/check/", {"kind": "account", "values": f"{ACCOUNT}\n\n{UNLISTED}\n"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    rows = re.findall(r'<tr data-testid="checked-row" data-listed="(yes|no)">(.*?)</tr>', page, re.S)
    assert [listed_ for listed_, _ in rows] == ["yes", "no"]
    assert MASKED in rows[0][1] and "Block: no transactions at all" in rows[0][1]
    assert ACCOUNT not in page and UNLISTED not in page
    (event,) = AuditEvent.objects.filter(action=WatchlistAction.CHECKED)
    assert event.details["count"] == 2 and event.details["listed"] == 1


def test_a_check_of_nothing_or_too_much_is_refused(world):
    client = english(world.officer_a)
    assert client.post("/console/watchlist/check/", {"kind": "account", "values": "\n \n"}).status_code == 400
    many = "\n".join(f"62220202001122{n:05d}" for n in range(101))
    assert client.post("/console/watchlist/check/", {"kind": "account", "values": many}).status_code == 400


@pytest.fixture
def two_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CheckThrottle, "THROTTLE_RATES", {"watchlist_check": "2/minute"})


def test_the_console_spends_the_apis_check_budget_of_the_partner(world, two_a_minute):
    """Two checks through the API, as the unit's supervisor: the officer's console check is
    over the same partner's budget (the rate lowered for the test)."""
    api = token_client(world.supervisor_a)
    body = {"values": [{"kind": "account", "value": UNLISTED}]}
    for _ in range(2):
        assert api.post("/api/v1/watchlist/check/", body, format="json").status_code == 200
    client = english(world.officer_a)
    refused = client.post("/console/watchlist/check/", {"kind": "account", "values": UNLISTED})
    assert refused.status_code == 429 and "Too many checks" in refused.content.decode()
    assert not AuditEvent.objects.filter(
        action=WatchlistAction.CHECKED, actor_id=str(world.officer_a.pk)
    ).exists()
