"""An order lookup end to end through the API, with a pull adapter answering."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from audit.models import AuditEvent
from exchange.audit_actions import ExchangeAction
from exchange.delivery.expiry import expire_overdue_queries
from exchange.models import Query
from tests.clients import SignedClient, signed_world_client, token_client
from tests.exchange.conftest import ANSWER, ORDER, submit

INBOX = "/api/v1/adapter/inbox/"


def adapter(world, which: str = "x") -> SignedClient:
    return signed_world_client(world.key_x if which == "x" else world.key_y)


def test_officer_asks_adapter_answers_officer_sees_masked_result(world, case_a):
    officer = token_client(world.officer_a)
    response = officer.post(
        "/api/v1/queries/",
        {
            "case": str(case_a.pk),
            "kind": "order_lookup",
            "partner": world.platform_x.code,
            "input": {"order_number": ORDER},
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["input"]["order_number"] != ORDER and body["input"]["order_number"].endswith(ORDER[-4:])
    inbox = adapter(world).get(INBOX, {"wait": "0"}).json()["results"]
    assert [item["id"] for item in inbox] == [body["id"]]
    assert inbox[0]["input"]["order_number"] == ORDER  # the partner needs the plaintext to answer
    assert adapter(world).get(INBOX).json()["results"] == []  # leased
    answered = adapter(world).post(f"/api/v1/adapter/queries/{body['id']}/answer/", ANSWER, format="json")
    assert answered.json() == {"id": body["id"], "status": "answered"}
    shown = officer.get(f"/api/v1/queries/{body['id']}/").json()
    assert shown["status"] == "answered"
    assert shown["result"]["account_number"] == "6222 **** **** 3445"
    assert shown["result"]["holder_name"] == "李*"
    assert shown["dispatched_at"] and shown["answered_at"]


def test_same_answer_twice_is_a_noop_and_a_different_one_conflicts(world, case_a):
    query = submit(world, case_a)
    path = f"/api/v1/adapter/queries/{query.pk}/answer/"
    assert adapter(world).post(path, ANSWER, format="json").status_code == 200
    assert adapter(world).post(path, ANSWER, format="json").status_code == 200
    conflict = adapter(world).post(path, {"status": "not_found"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "answer_conflict"
    mine = AuditEvent.objects.filter(target_id=str(query.pk))
    assert mine.filter(action=ExchangeAction.ANSWER_CONFLICT).count() == 1
    assert mine.filter(action=ExchangeAction.QUERY_ANSWERED).count() == 1


def test_an_adapter_sees_and_answers_only_its_own_partners_queries(world, case_a):
    query = submit(world, case_a)
    assert adapter(world, "y").get(INBOX).json()["results"] == []
    other = adapter(world, "y").post(f"/api/v1/adapter/queries/{query.pk}/answer/", ANSWER, format="json")
    assert other.status_code == 404


def test_not_found_and_failed_answers(world, case_a):
    first, second = submit(world, case_a), submit(world, case_a, order_number="PX20261121000000025")
    adapter(world).post(f"/api/v1/adapter/queries/{first.pk}/answer/", {"status": "not_found"}, format="json")
    adapter(world).post(
        f"/api/v1/adapter/queries/{second.pk}/answer/",
        {"status": "failed", "reason": "backend down"},
        format="json",
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.partner_reason) == ("not_found", "failed", "backend down")
    shown = token_client(world.auditor).get(f"/api/v1/queries/{second.pk}/").json()
    assert shown["partner_reason"] == "******"  # free text may name people: masked


def test_invalid_answer_is_refused_with_fields(world, case_a):
    query = submit(world, case_a)
    bad = adapter(world).post(
        f"/api/v1/adapter/queries/{query.pk}/answer/",
        {"status": "answered", "result": {"bank": "x"}},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]["result"]) == {"account_number", "holder_name"}


def test_unanswered_lease_is_offered_again(world, case_a):
    query = submit(world, case_a)
    assert len(adapter(world).get(INBOX).json()["results"]) == 1
    Query.objects.filter(pk=query.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    again = adapter(world).get(INBOX).json()["results"]
    assert [item["id"] for item in again] == [str(query.pk)]
    query.refresh_from_db()
    assert query.delivery_attempts == 2


def test_overdue_query_expires_with_a_reason_and_takes_no_answer(world, case_a):
    query = submit(world, case_a)
    Query.objects.filter(pk=query.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert expire_overdue_queries() == 1
    query.refresh_from_db()
    assert (query.status, query.reason) == ("expired", "never_delivered")
    late = adapter(world).post(f"/api/v1/adapter/queries/{query.pk}/answer/", ANSWER, format="json")
    assert late.status_code == 410
    assert AuditEvent.objects.filter(action=ExchangeAction.QUERY_EXPIRED, target_id=str(query.pk)).exists()


def test_long_poll_waits_then_returns_empty(world, case_a):
    started = timezone.now()
    response = adapter(world).get(INBOX, {"wait": "0.3"})
    assert response.json()["results"] == []
    assert (timezone.now() - started).total_seconds() >= 0.3
    assert adapter(world).get(INBOX, {"wait": "99"}).status_code == 400
