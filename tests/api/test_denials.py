"""Denials in the audit log: named by route, never by what the caller typed; bounded in size
and, for anonymous callers, in number; missing and out of scope cost the same."""

from __future__ import annotations

import json
import uuid

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.choices import AuditAction
from audit.denials import AnonymousDenialThrottle, request_route
from audit.models import AuditEvent
from partners.audit_actions import PartnerAction
from tests.clients import token_client

PHONE = "13800138000"
PERSON_ROUTE = "api/v1/people/<str:username>/"


def _denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.REQUEST_DENIED).order_by("id"))


def _recorded() -> str:
    rows = AuditEvent.objects.values_list("details", "target_id", "case_id")
    return json.dumps(list(rows), ensure_ascii=False)


def test_an_anonymous_probe_records_the_route_not_the_phone_number(db):
    assert APIClient().get(f"/api/v1/people/{PHONE}/").status_code == 401
    (denial,) = _denials()
    assert denial.details == {
        "method": "GET",
        "route": PERSON_ROUTE,
        "status": 401,
        "code": "not_authenticated",
    }
    assert PHONE not in _recorded()


def test_a_missing_object_is_audited_without_its_lookup_value(world):
    assert token_client(world.administrator).get(f"/api/v1/people/{PHONE}/").status_code == 404
    (denial,) = _denials()
    assert (denial.target_type, denial.target_id) == ("partners.person", "")
    assert denial.details["reason"] == "missing" and denial.details["route"] == PERSON_ROUTE
    assert PHONE not in _recorded()


def test_long_and_odd_paths_are_clean_404s_with_bounded_rows(world):
    long_name = "9" * 9_000
    odd = ["%00", "%E5%BC%A0%E4%B8%89" * 1_000, long_name, f"%2B86{PHONE}"]
    for name in odd:
        assert APIClient().get(f"/api/v1/people/{name}/").status_code == 401
        assert token_client(world.administrator).get(f"/api/v1/people/{name}/").status_code == 404
    unresolved = APIClient().get(f"/api/v1/{long_name}/")
    assert unresolved.status_code == 404 and unresolved.json()["error"]["code"] == "not_found"
    denials = _denials()
    assert len(denials) == 2 * len(odd)
    assert all(len(json.dumps(d.details)) < 200 and d.target_id == "" for d in denials)
    assert "9999" not in _recorded() and PHONE not in _recorded() and "张三" not in _recorded()


def test_an_unmatched_path_is_a_keyed_digest_and_a_length():
    request = RequestFactory().get(f"/nowhere/{PHONE}/")
    named = request_route(request)
    assert named["path_length"] == len(f"/nowhere/{PHONE}/")
    assert len(str(named["path_digest"])) == 16 and PHONE not in str(named)
    assert request_route(RequestFactory().get(f"/nowhere/{PHONE}/")) == named
    assert request_route(RequestFactory().get("/nowhere/13800138001/")) != named


def test_anonymous_denials_are_recorded_up_to_a_rate_then_counted(db, monkeypatch):
    client = APIClient()
    for n in range(1_000):
        assert client.get(f"/api/v1/people/{n}/").status_code == 401
    rate, _ = AnonymousDenialThrottle().parse_rate(AnonymousDenialThrottle().get_rate())
    assert rate is not None
    denials = _denials()
    assert len(denials) == rate + 1
    assert denials[-1].details.get("recording_suspended") is True
    assert APIClient(REMOTE_ADDR="192.0.2.9").get("/api/v1/me/").status_code == 401
    assert len(_denials()) == rate + 2  # another address has its own budget
    later = AnonymousDenialThrottle.timer() + 3600
    monkeypatch.setattr(AnonymousDenialThrottle, "timer", lambda self: later)
    assert client.get("/api/v1/me/").status_code == 401
    assert _denials()[-1].details["denials_left_out"] == 1_000 - rate - 1
    assert client.get("/api/v1/me/").status_code == 401
    assert "denials_left_out" not in _denials()[-1].details


def test_denials_of_signed_in_people_are_all_recorded(world):
    officer = token_client(world.officer_a)
    for _ in range(80):
        assert officer.get("/api/v1/adapter/inbox/").status_code == 403
    assert len(_denials()) == 80


def _queries(client, path: str) -> tuple[int, dict, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response.status_code, response.json(), len(captured.captured_queries)


def test_out_of_scope_and_missing_cost_the_same_queries(world):
    officer_b = token_client(world.officer_b)
    pairs = [
        (f"/api/v1/cases/{world.case_a.pk}/", f"/api/v1/cases/{uuid.uuid4()}/"),
        (f"/api/v1/queries/{world.query_a.pk}/", f"/api/v1/queries/{uuid.uuid4()}/"),
        (f"/api/v1/partners/{world.platform_x.code}/", "/api/v1/partners/no-such-partner/"),
    ]
    officer_b.get(pairs[0][1])  # warm up what a first request pays once
    for hidden, missing in pairs:
        seen_hidden, seen_missing = _queries(officer_b, hidden), _queries(officer_b, missing)
        assert seen_hidden == seen_missing, (hidden, missing)
        assert seen_hidden[0] == 404


def test_an_out_of_scope_denial_names_the_object_and_its_case(world):
    assert token_client(world.officer_b).get(f"/api/v1/queries/{world.query_a.pk}/").status_code == 404
    (denial,) = _denials()
    assert (denial.target_id, denial.case_id) == (str(world.query_a.pk), str(world.case_a.pk))
    assert denial.details["reason"] == "out_of_scope"


def test_rejected_signatures_of_unknown_keys_share_the_anonymous_budget(db):
    client = APIClient()
    for _ in range(300):
        assert client.get("/api/v1/adapter/me/", HTTP_SIGNATURE="sig=:AAAA:").status_code == 401
    rate, _ = AnonymousDenialThrottle().parse_rate(AnonymousDenialThrottle().get_rate())
    rejected = AuditEvent.objects.filter(action=PartnerAction.SIGNATURE_REJECTED)
    assert rejected.count() == rate + 1 if rate is not None else False
    assert not AuditEvent.objects.filter(action=AuditAction.REQUEST_DENIED).exists()


def test_without_a_cache_anonymous_denials_are_recorded_not_a_500(db, monkeypatch):
    class Broken:
        def __getattr__(self, name: str) -> object:
            raise ConnectionError("the cache is away")

    monkeypatch.setattr(AnonymousDenialThrottle, "cache", Broken())
    assert APIClient().get(f"/api/v1/people/{PHONE}/").status_code == 401
    assert APIClient().get("/api/v1/adapter/me/", HTTP_SIGNATURE="sig=:AAAA:").status_code == 401
    assert AuditEvent.objects.count() == 2
