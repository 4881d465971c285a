"""The watchlist over HTTP: masked pages, listing, delisting, the check and its refusals."""

from __future__ import annotations

from rest_framework.throttling import ScopedRateThrottle

from audit.models import AuditEvent
from tests import factories
from tests.clients import signed_world_client, token_client
from tests.watchlist.service_matrix import ACCOUNT, PHONE, UNLISTED, listed, met
from watchlist.audit_actions import WatchlistAction
from watchlist.choices import EntryStatus
from watchlist.models import WatchlistEntry


def _listing(world, value=ACCOUNT, case=None, **changes):
    """A listing's body, the case having met the value first."""
    met(world, value, case=case)
    return {
        "case": str((case or world.case_a).pk),
        "kind": "account",
        "value": value,
        "reason": "mule_account",
        "restriction": "counter_only",
        **changes,
    }


def test_a_supervisor_lists_and_a_second_case_extends_the_same_entry(world):
    api = token_client(world.supervisor_a)
    first = api.post("/api/v1/watchlist/", _listing(world), format="json")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["value"] == "6222 **** **** 3445" and ACCOUNT not in first.content.decode()
    assert body["cases"] == 1 and body["status"] == "active" and body["unit"] == world.unit_a.code
    second_case = factories.case(world.officer_a, "A-0002")
    again = api.post(
        "/api/v1/watchlist/", _listing(world, case=second_case, restriction="block"), format="json"
    )
    assert again.status_code == 201
    assert again.json()["id"] == body["id"] and again.json()["cases"] == 2
    assert again.json()["restriction"] == "block"


def test_the_units_entries_are_masked_and_cursor_paginated(world):
    for number in range(5):
        listed(world, f"6222020200{number:09d}")
    listed(world, PHONE, kind="phone", reason="fraud_number")
    api = token_client(world.officer_a)
    first = api.get("/api/v1/watchlist/", {"page_size": 4}).json()
    assert len(first["results"]) == 4 and "cursor=" in first["next"]
    second = api.get(first["next"]).json()
    shown = first["results"] + second["results"]
    assert len({e["id"] for e in shown}) == 6
    assert "139****5678" in {e["value"] for e in shown}
    assert all("6222020200" not in e["value"] for e in shown)
    assert token_client(world.officer_b).get("/api/v1/watchlist/").json()["results"] == []
    assert len(token_client(world.auditor).get("/api/v1/watchlist/").json()["results"]) == 6
    delisted = token_client(world.officer_a).get("/api/v1/watchlist/", {"status": "delisted"}).json()
    assert delisted["results"] == []
    odd = api.get("/api/v1/watchlist/", {"status": PHONE})
    assert odd.status_code == 400 and PHONE not in odd.content.decode()


def test_delisting_over_http(world):
    entry = listed(world)
    path = f"/api/v1/watchlist/{entry.pk}/delist/"
    assert (
        token_client(world.officer_a).post(path, {"reason": "listed_in_error"}, format="json").status_code
        == 403
    )
    free_text = token_client(world.supervisor_a).post(path, {"reason": ACCOUNT}, format="json")
    assert free_text.status_code == 400 and ACCOUNT not in free_text.content.decode()
    done = token_client(world.supervisor_a).post(path, {"reason": "listed_in_error"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == EntryStatus.DELISTED
    assert done.json()["delist_reason"] == "listed_in_error"
    again = token_client(world.supervisor_a).post(path, {"reason": "listed_in_error"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_active"


def test_another_units_police_get_the_404_of_a_missing_entry(world):
    entry = listed(world)
    supervisor_b = factories.person(world.unit_b, "supervisor")
    for person in (world.officer_b, supervisor_b):
        api = token_client(person)
        hidden = api.get(f"/api/v1/watchlist/{entry.pk}/")
        missing = api.get(f"/api/v1/watchlist/{WatchlistEntry().pk}/")
        assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
        delist = api.post(
            f"/api/v1/watchlist/{entry.pk}/delist/", {"reason": "listed_in_error"}, format="json"
        )
        assert delist.status_code == 404
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE


def test_adapters_cannot_list_read_or_delist(world):
    entry = listed(world)
    adapter = signed_world_client(world.key_x)
    assert adapter.post("/api/v1/watchlist/", _listing(world), format="json").status_code == 403
    assert adapter.get("/api/v1/watchlist/").status_code == 403
    assert adapter.get(f"/api/v1/watchlist/{entry.pk}/").status_code == 403
    delist = adapter.post(
        f"/api/v1/watchlist/{entry.pk}/delist/", {"reason": "listed_in_error"}, format="json"
    )
    assert delist.status_code == 403
    assert WatchlistEntry.objects.get(pk=entry.pk).status == EntryStatus.ACTIVE


def test_an_adapter_checks_1000_values_and_learns_only_listed_and_restriction(world):
    listed(world)
    listed(world, PHONE, kind="phone", reason="fraud_number", restriction="block")
    values = [{"kind": "account", "value": f"6222020201{n:09d}"} for n in range(998)]
    values += [{"kind": "account", "value": ACCOUNT}, {"kind": "phone", "value": PHONE}]
    response = signed_world_client(world.key_x).post(
        "/api/v1/watchlist/check/", {"values": values}, format="json"
    )
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert len(results) == 1000 and [r["index"] for r in results] == list(range(1000))
    assert results[998] == {"index": 998, "listed": True, "restriction": "counter_only"}
    assert results[999] == {"index": 999, "listed": True, "restriction": "block"}
    assert not any(r["listed"] for r in results[:998])
    assert set(results[0]) == {"index", "listed", "restriction"}
    (event,) = AuditEvent.objects.filter(action=WatchlistAction.CHECKED)
    assert event.details["count"] == 1000 and event.details["listed"] == 2


def test_a_bad_check_is_a_400_that_never_quotes_the_input(world):
    api = token_client(world.officer_a)
    too_many = [{"kind": "account", "value": UNLISTED}] * 1001
    bodies: list[dict[str, object]] = [
        {"values": too_many},
        {"values": []},
        {"values": [{"kind": "email", "value": UNLISTED}]},
        {"values": [{"kind": "account", "value": UNLISTED * 5}]},
        {"values": [{"kind": "account", "value": "no digits"}, {"kind": "phone", "value": PHONE}]},
        {"values": UNLISTED},
    ]
    for body in bodies:
        response = api.post("/api/v1/watchlist/check/", body, format="json")
        assert response.status_code == 400, body
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"}
        assert UNLISTED not in response.content.decode() and PHONE not in response.content.decode()
        assert "no digits" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=WatchlistAction.CHECKED).exists()
    assert (
        token_client(world.operator_bank)
        .post("/api/v1/watchlist/check/", {"values": [{"kind": "phone", "value": PHONE}]}, format="json")
        .status_code
        == 403
    )


def test_checks_are_throttled_per_partner_across_its_adapter_keys(world, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "watchlist_check", "2/minute")
    body = {"values": [{"kind": "account", "value": UNLISTED}]}
    first = signed_world_client(world.key_x)
    second = signed_world_client(world.adapter_key(world.platform_x))  # the same partner, another key
    for client in (first, second):
        assert client.post("/api/v1/watchlist/check/", body, format="json").status_code == 200
    throttled = second.post("/api/v1/watchlist/check/", body, format="json")
    assert throttled.status_code == 429 and set(throttled.json()["error"]) == {"code", "message", "fields"}
    other = signed_world_client(world.key_y).post("/api/v1/watchlist/check/", body, format="json")
    assert other.status_code == 200  # another partner's budget is its own


def test_a_query_on_a_listed_value_is_flagged_to_police_with_the_number_of_cases(world):
    factories.grant(world.unit_a, world.bank, "account_transfers")
    listed(world)  # ACCOUNT, from case A
    other = factories.case(world.officer_a, "A-0002")
    listed(world, case=other)
    api = token_client(world.officer_a)
    body = {"case": str(world.case_a.pk), "kind": "account_transfers", "partner": world.bank.code}
    flagged = api.post("/api/v1/queries/", {**body, "input": {"account_number": ACCOUNT}}, format="json")
    assert flagged.status_code == 202 and flagged.json()["watchlist_cases"] == 2
    clean = api.post("/api/v1/queries/", {**body, "input": {"account_number": UNLISTED}}, format="json")
    assert clean.json()["watchlist_cases"] == 0
    shown = {q["id"]: q["watchlist_cases"] for q in api.get("/api/v1/queries/").json()["results"]}
    assert shown[flagged.json()["id"]] == 2 and shown[clean.json()["id"]] == 0
    detail = api.get(f"/api/v1/queries/{flagged.json()['id']}/").json()
    assert detail["watchlist_cases"] == 2
    audited = token_client(world.auditor).get(f"/api/v1/queries/{flagged.json()['id']}/").json()
    assert audited["watchlist_cases"] is None  # a count for the officer, not for other readers
