"""Events about a case carry it; hidden partners look unknown; declared limits are enforced."""

from __future__ import annotations

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEvent
from exchange.audit_actions import ExchangeAction
from tests.clients import token_client
from tests.exchange.conftest import ANSWER, ORDER, answer, grant_another_kind, submit


def lookup(case_id, partner: str, order: str = ORDER) -> dict:
    return {
        "case": str(case_id),
        "kind": "order_lookup",
        "partner": partner,
        "input": {"order_number": order},
    }


def test_an_auditor_reviewing_a_case_sees_who_read_its_plaintext(world, case_a):
    officer = token_client(world.officer_a)
    created = officer.post("/api/v1/queries/", lookup(case_a.pk, world.platform_x.code), format="json")
    assert created.status_code == 202
    world.client("adapter_x").get("/api/v1/adapter/inbox/")
    answer = world.client("adapter_x").post(
        f"/api/v1/adapter/queries/{created.json()['id']}/answer/", ANSWER, format="json"
    )
    assert answer.status_code == 200
    reveal = officer.post(
        f"/api/v1/queries/{created.json()['id']}/reveal/", {"purpose": "evidence"}, format="json"
    )
    assert reveal.status_code == 200
    search = officer.post(
        "/api/v1/accounts/search/", {"account_number": "6222020200112233445"}, format="json"
    )
    assert [c["id"] for c in search.json()["cases"]] == [str(case_a.pk)]
    seen = token_client(world.auditor).get(
        "/api/v1/audit/events/", {"case": str(case_a.pk), "page_size": "100"}
    )
    actions = [event["action"] for event in seen.json()["results"]]
    for action in ("lookup_submitted", "query_dispatched", "query_answered", "account_searched"):
        assert action in actions, action
    reveals = [e for e in seen.json()["results"] if e["action"] == "plaintext_revealed"]
    assert sorted(e["details"]["field"] for e in reveals) == [
        "order_number",
        "result_account",
        "result_holder",
    ]
    assert {e["actor_id"] for e in reveals} == {"person:officer-a"}


def test_an_account_search_is_one_event_per_case_it_returns(world, case_a):
    from decimal import Decimal

    from exchange.services import cases

    second = cases.case_open(
        actor=world.officer_a,
        number="CQ-2",
        title="t",
        fraud_type="loan",
        legal_basis="x",
        victim_loss=Decimal(1),
    )
    for case in (case_a, second):
        answer(world, submit(world, case))
    officer = token_client(world.officer_a)
    officer.post("/api/v1/accounts/search/", {"account_number": "6222 0202 0011 2233 445"}, format="json")
    officer.post("/api/v1/accounts/search/", {"account_number": "6222 9999"}, format="json")
    events = AuditEvent.objects.filter(action=ExchangeAction.ACCOUNT_SEARCHED).order_by("id")
    assert sorted(e.case_id for e in events[:2]) == sorted([str(case_a.pk), str(second.pk)])
    assert len({e.request_id for e in events[:2]}) == 1
    assert [(e.case_id, e.details["own_cases"]) for e in events[2:]] == [("", 0)]


def test_a_partner_the_unit_cannot_see_looks_like_an_unknown_code(world, case_a):
    officer = token_client(world.officer_a)
    officer.get("/api/v1/me/")
    answered = {}
    for name, code in (("hidden", world.platform_y.code), ("unknown", "no-such-partner")):
        with CaptureQueriesContext(connection) as captured:
            response = officer.post("/api/v1/queries/", lookup(case_a.pk, code), format="json")
        answered[name] = (response.status_code, response.json(), len(captured.captured_queries))
    assert answered["hidden"] == answered["unknown"]
    assert answered["hidden"][0] == 400
    assert world.platform_y.code not in str(answered["hidden"][1])
    batch = officer.post(
        "/api/v1/queries/batch/", {"queries": [lookup(case_a.pk, world.platform_y.code)]}, format="json"
    )
    assert batch.json()["results"][0]["error"]["code"] == "invalid"


def test_a_partner_the_unit_can_see_may_still_refuse_by_name(world, case_a):
    grant_another_kind(world)
    response = token_client(world.officer_a).post(
        "/api/v1/queries/", lookup(case_a.pk, world.platform_y.code), format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "no_grant")


def test_another_units_case_costs_what_a_missing_case_costs(world, case_a):
    officer_b = token_client(world.officer_b)
    officer_b.get("/api/v1/me/")
    answered = {}
    for name, case_id in (("hidden", case_a.pk), ("missing", uuid.uuid4())):
        with CaptureQueriesContext(connection) as captured:
            response = officer_b.post(
                "/api/v1/queries/", lookup(case_id, world.platform_y.code), format="json"
            )
        answered[name] = (response.status_code, response.json(), len(captured.captured_queries))
    assert answered["hidden"] == answered["missing"]
    assert answered["hidden"][0] == 404


def _error_fields(response) -> dict:
    assert response.status_code == 400, response.content
    return dict(response.json()["error"]["fields"])


def test_given_filters_and_parameters_must_be_valid(world, case_a):
    officer = token_client(world.officer_a)
    for bad in ({"status": "bogus"}, {"case": "notauuid"}, {"case": ""}):
        assert set(_error_fields(officer.get("/api/v1/queries/", bad))) == set(bad)
    assert officer.get("/api/v1/queries/", {"case": str(case_a.pk), "status": "refused"}).status_code == 200
    adapter = world.client("adapter_x")
    for bad in (
        {"wait": "abc"},
        {"wait": "-1"},
        {"wait": "25.5"},
        {"wait": "nan"},
        {"wait": ""},
        {"limit": "0"},
    ):
        assert set(_error_fields(adapter.get("/api/v1/adapter/inbox/", bad))) == set(bad), bad
    for bad in ({"limit": "101"}, {"limit": "abc"}, {"limit": "2.5"}):
        assert set(_error_fields(adapter.get("/api/v1/adapter/inbox/", bad))) == set(bad), bad
    assert adapter.get("/api/v1/adapter/inbox/", {"wait": "0", "limit": "100"}).status_code == 200


def test_a_batch_has_at_least_one_item(world):
    response = token_client(world.officer_a).post("/api/v1/queries/batch/", {"queries": []}, format="json")
    assert set(_error_fields(response)) == {"queries"}


def test_an_account_number_is_digits(world):
    officer = token_client(world.officer_a)
    for bad in ("abcdefgh", "----", "12 34", "6222 0202 x", "1" * 35):
        response = officer.post("/api/v1/accounts/search/", {"account_number": bad}, format="json")
        assert set(_error_fields(response)) == {"account_number"}, bad
    for good in ("6222020200112233445", "6222 0202 0011", "6222-0202-0011"):
        response = officer.post("/api/v1/accounts/search/", {"account_number": good}, format="json")
        assert response.status_code == 200, good


def test_the_schema_declares_the_limits(db):
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    batch = components["BatchInputRequest"]["properties"]["queries"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 1000)
    assert batch["items"] == {"$ref": "#/components/schemas/QueryInputRequest"}
    account = components["AccountSearchInputRequest"]["properties"]["account_number"]
    assert account["pattern"].startswith("^[0-9]")
    inbox = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/adapter/inbox/"]["get"]["parameters"]}
    assert (inbox["wait"]["minimum"], inbox["wait"]["maximum"]) == (0, 25)
    assert (inbox["limit"]["minimum"], inbox["limit"]["maximum"]) == (1, 100)
    listed = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/queries/"]["get"]["parameters"]}
    assert listed["case"]["format"] == "uuid" and "refused" in listed["status"]["enum"]
