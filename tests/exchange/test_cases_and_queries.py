"""Cases and query submission: visibility, refusals kept as refused queries, batches,
reveal with a purpose, and account search that names only the caller's own cases."""

from __future__ import annotations

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from exchange.audit_actions import ExchangeAction
from exchange.models import Query
from tests.clients import token_client
from tests.exchange.conftest import ORDER, answer, grant_another_kind, submit

CASE = {
    "number": "CQ-2026-0042",
    "title": "Investment scam, victim 王五",
    "fraud_type": "investment",
    "legal_basis": "Art. 31",
    "victim_loss": "120000.00",
}


def lookup(case_id, partner: str, order: str = ORDER) -> dict:
    return {
        "case": str(case_id),
        "kind": "order_lookup",
        "partner": partner,
        "input": {"order_number": order},
    }


def test_cases_belong_to_their_unit(world):
    officer_a = token_client(world.officer_a)
    created = officer_a.post("/api/v1/cases/", CASE, format="json")
    assert created.status_code == 201
    case = created.json()
    assert case["unit"] == "unit-a"
    assert case["title"] != CASE["title"] and "王五" not in case["title"]
    assert token_client(world.supervisor_a).get(f"/api/v1/cases/{case['id']}/").status_code == 200
    assert token_client(world.officer_b).get(f"/api/v1/cases/{case['id']}/").status_code == 404
    assert token_client(world.officer_b).get("/api/v1/cases/").json()["results"] == []
    duplicate = officer_a.post("/api/v1/cases/", CASE, format="json")
    assert duplicate.status_code == 409
    assert AuditEvent.objects.filter(action=ExchangeAction.CASE_OPENED, case_id=case["id"]).count() == 1


def test_no_grant_is_a_403_kept_as_a_refused_query(world, case_a):
    grant_another_kind(world)
    officer = token_client(world.officer_a)
    response = officer.post("/api/v1/queries/", lookup(case_a.pk, world.platform_y.code), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "no_grant"
    refused = officer.get("/api/v1/queries/", {"status": "refused"}).json()["results"]
    assert [(q["partner"], q["reason"]) for q in refused] == [("platform-y", "no_grant")]
    event = AuditEvent.objects.get(action=ExchangeAction.QUERY_REFUSED)
    assert event.outcome == Outcome.DENIED
    assert not AuditEvent.objects.filter(action=AuditAction.REQUEST_DENIED).exists()  # recorded once


def test_closed_case_accepts_no_queries(world, case_a):
    officer = token_client(world.officer_a)
    assert officer.post(f"/api/v1/cases/{case_a.pk}/close/").json()["status"] == "closed"
    response = officer.post("/api/v1/queries/", lookup(case_a.pk, world.platform_x.code), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case_closed"
    assert Query.objects.get(case=case_a).status == "refused"


def test_input_is_validated_by_kind_and_by_partner_format(world, case_a):
    officer = token_client(world.officer_a)
    bad = officer.post("/api/v1/queries/", lookup(case_a.pk, world.platform_x.code, order="x"), format="json")
    assert bad.status_code == 400
    assert "order_number" in bad.json()["error"]["fields"]
    assert "x" not in bad.json()["error"]["message"]
    world.platform_x.input_formats = {"order_number": r"PX\d{17}"}
    world.platform_x.save()
    wrong = officer.post(
        "/api/v1/queries/", lookup(case_a.pk, world.platform_x.code, order="AB123456789"), format="json"
    )
    assert wrong.json()["error"]["fields"] == {"order_number": ["Does not match this partner's format."]}
    assert (
        officer.post("/api/v1/queries/", lookup(case_a.pk, world.platform_x.code), format="json").status_code
        == 202
    )
    assert not Query.objects.filter(case=case_a, status="refused").exists()


def test_other_units_case_is_not_found(world, case_a):
    response = token_client(world.officer_b).post(
        "/api/v1/queries/", lookup(case_a.pk, world.platform_y.code), format="json"
    )
    assert response.status_code == 404


def test_batch_reports_item_by_item(world, case_a):
    grant_another_kind(world)
    items = [
        lookup(case_a.pk, world.platform_x.code),
        lookup(case_a.pk, world.platform_y.code),
        lookup(case_a.pk, world.platform_x.code, order="?"),
        {"case": "not-a-uuid"},
        lookup(case_a.pk, world.platform_x.code, order="PX20261121000000099"),
    ]
    response = token_client(world.officer_a).post("/api/v1/queries/batch/", {"queries": items}, format="json")
    body = response.json()
    assert (body["accepted"], body["refused"]) == (2, 3)
    assert [r["accepted"] for r in body["results"]] == [True, False, False, False, True]
    assert [r.get("error", {}).get("code") for r in body["results"]] == [
        None,
        "no_grant",
        "invalid",
        "invalid",
        None,
    ]
    assert Query.objects.filter(case=case_a, status="pending").count() == 2
    assert Query.objects.filter(case=case_a, status="refused").count() == 1


def test_batch_limit(world, case_a):
    items = [lookup(case_a.pk, world.platform_x.code)] * 1001
    response = token_client(world.officer_a).post("/api/v1/queries/batch/", {"queries": items}, format="json")
    assert response.status_code == 400
    assert not Query.objects.filter(case=case_a).exists()


def test_reveal_needs_a_purpose_and_the_right_role_and_is_audited(world, case_a):
    query = submit(world, case_a)
    answer(world, query)
    path = f"/api/v1/queries/{query.pk}/reveal/"
    assert token_client(world.officer_a).post(path, {}, format="json").status_code == 400
    revealed = token_client(world.supervisor_a).post(path, {"purpose": "freeze_request"}, format="json")
    assert revealed.json()["revealed"] == {
        "order_number": ORDER,
        "result_account": "6222020200112233445",
        "result_holder": "李四",
    }
    events = AuditEvent.objects.filter(action=AuditAction.PLAINTEXT_REVEALED)
    assert {e.details["purpose"] for e in events} == {"freeze_request"}
    assert "6222020200112233445" not in str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert token_client(world.auditor).post(path, {"purpose": "evidence"}, format="json").status_code == 403
    assert token_client(world.officer_b).post(path, {"purpose": "evidence"}, format="json").status_code == 404


def test_account_search_names_own_cases_and_counts_others(world, case_a):
    from decimal import Decimal

    from exchange.services import cases, queries

    own = answer(world, submit(world, case_a))
    case_b = cases.case_open(
        actor=world.officer_b,
        number="B-1",
        title="t",
        fraud_type="loan",
        legal_basis="x",
        victim_loss=Decimal(1),
    )
    query_b = queries.query_submit(
        actor=world.officer_b,
        submission=queries.Submission(
            case_id=case_b.pk,
            kind="order_lookup",
            partner=world.platform_y.code,
            input={"order_number": "PY0000001"},
        ),
    )
    answer(world, query_b)
    search = {"account_number": "6222-0202-0011-2233-445"}
    found = token_client(world.officer_a).post("/api/v1/accounts/search/", search, format="json").json()
    assert [c["number"] for c in found["cases"]] == ["CQ-2026-0001"]
    assert found["other_units_cases"] == 1
    nothing = (
        token_client(world.officer_a)
        .post("/api/v1/accounts/search/", {"account_number": "6222 9999"}, format="json")
        .json()
    )
    assert nothing == {"cases": [], "other_units_cases": 0}
    event = AuditEvent.objects.filter(action=ExchangeAction.ACCOUNT_SEARCHED).earliest("id")
    assert event.details["subject_index"] == own.findings.get().value_index.hex()
    assert "6222" not in str(event.details)


def test_auditor_sees_queries_masked_and_operators_see_their_own(world, case_a):
    query = submit(world, case_a)
    answer(world, query)
    seen = token_client(world.auditor).get(f"/api/v1/queries/{query.pk}/").json()
    assert seen["result"]["account_number"] == "6222 **** **** 3445"
    assert token_client(world.operator_bank).get(f"/api/v1/queries/{query.pk}/").status_code == 404
