"""Approval by a second person, rejection and cancellation: who may, when, and what leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.choices import Outcome
from audit.models import AuditEvent
from core.errors import NotFound
from exchange.audit_actions import ExchangeAction
from exchange.choices import QueryStatus
from exchange.delivery import push
from exchange.delivery.inbox import inbox_lease
from exchange.models import OutboxMessage, Query
from exchange.sending import CaseClosed, RefusedByRule
from exchange.services import approvals, cases, queries
from partners.choices import Delivery
from tests import factories
from tests.clients import token_client
from tests.exchange.service_matrix_holds import (
    awaiting_freeze,
    bank_adapter,
    bank_answer,
    bank_grants,
    freeze_input,
    stop_input,
    submit,
)

STOPPED = {"outcome": "stopped", "amount_held": "5200.00", "stopped_at": "2026-11-21T10:05:00+08:00"}


def _events(query: Query, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target_id=str(query.pk), action=action).order_by("id"))


def test_a_freeze_waits_and_never_leaves_before_approval(world) -> None:
    freeze = awaiting_freeze(world)
    assert freeze.status == QueryStatus.AWAITING_APPROVAL
    assert inbox_lease(adapter=bank_adapter(world), limit=10) == []
    assert not OutboxMessage.objects.filter(query=freeze).exists()


def test_a_second_person_approves_and_the_query_leaves(world) -> None:
    freeze = awaiting_freeze(world)
    Query.objects.filter(pk=freeze.pk).update(deadline=timezone.now() + timedelta(minutes=1))
    before = timezone.now()
    approved = approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    assert approved.status == QueryStatus.PENDING
    # The deadline runs from the approval, for the kind's default (a day).
    assert approved.deadline >= before + timedelta(hours=24)
    (event,) = _events(freeze, ExchangeAction.QUERY_APPROVED)
    assert event.actor_id == world.supervisor_a.actor_label and event.case_id == str(world.case_a.pk)
    assert [q.pk for q in inbox_lease(adapter=bank_adapter(world), limit=10)] == [freeze.pk]


def test_approval_of_a_query_to_a_push_bank_writes_its_outbox_row(world) -> None:
    pushed = factories.bank(
        "bank-push", bins=("621700",), delivery=Delivery.PUSH, webhook_url="http://127.0.0.1:9/h"
    )
    factories.grant(world.unit_a, pushed, "freeze")
    freeze = submit_to(world, pushed)
    assert not OutboxMessage.objects.filter(query=freeze).exists()
    approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    assert OutboxMessage.objects.filter(query=freeze).count() == 1


def submit_to(world, partner) -> Query:
    """A freeze of case A to `partner`, by officer A."""
    return queries.query_submit(
        actor=world.officer_a,
        submission=queries.Submission(
            case_id=world.case_a.pk, kind="freeze", partner=partner.code, input=freeze_input()
        ),
    )


def test_the_requester_cannot_approve_their_own(world) -> None:
    freeze = awaiting_freeze(world, world.supervisor_a)
    with pytest.raises(approvals.OwnRequest):
        approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    freeze.refresh_from_db()
    assert freeze.status == QueryStatus.AWAITING_APPROVAL
    (denied,) = _events(freeze, ExchangeAction.QUERY_APPROVED)
    assert denied.outcome == Outcome.DENIED and denied.details["code"] == "own_request"


def test_an_officer_cannot_approve_and_another_unit_does_not_see_it(world) -> None:
    freeze = awaiting_freeze(world)
    supervisor_b = factories.person(world.unit_b, "supervisor")
    for outsider in (world.officer_a, supervisor_b):
        with pytest.raises(NotFound):
            approvals.query_approve(actor=outsider, query_id=freeze.pk)
    assert AuditEvent.objects.filter(target_id=str(freeze.pk), outcome=Outcome.DENIED).count() == 2
    freeze.refresh_from_db()
    assert freeze.status == QueryStatus.AWAITING_APPROVAL


def test_rejection_closes_it_with_the_code_audited(world) -> None:
    freeze = awaiting_freeze(world)
    rejected = approvals.query_reject(actor=world.supervisor_a, query_id=freeze.pk, reason="no_decision")
    assert (rejected.status, rejected.reason) == (QueryStatus.REFUSED, "rejected")
    (event,) = _events(freeze, ExchangeAction.QUERY_REJECTED)
    assert event.details["reason"] == "no_decision"
    with pytest.raises(approvals.NotAwaitingApproval):
        approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    assert inbox_lease(adapter=bank_adapter(world), limit=10) == []


def test_a_stop_payment_leaves_at_once_unless_the_unit_asks_for_approval(world) -> None:
    bank_grants(world)
    assert submit(world, "stop_payment", stop_input()).status == QueryStatus.PENDING
    world.unit_a.stop_payment_needs_approval = True
    world.unit_a.save(update_fields=["stop_payment_needs_approval"])
    assert (
        submit(world, "stop_payment", stop_input("6222020200998877665")).status
        == QueryStatus.AWAITING_APPROVAL
    )


def test_waiting_stops_count_towards_the_limit(world) -> None:
    world.unit_a.stop_payment_needs_approval = True
    world.unit_a.save(update_fields=["stop_payment_needs_approval"])
    bank_grants(world)
    first, second = (submit(world, "stop_payment", stop_input()) for _ in range(2))
    with pytest.raises(RefusedByRule):
        submit(world, "stop_payment", stop_input())
    approvals.query_reject(actor=world.supervisor_a, query_id=first.pk, reason="duplicate")
    third = submit(world, "stop_payment", stop_input())
    for stop in (second, third):
        assert (
            approvals.query_approve(actor=world.supervisor_a, query_id=stop.pk).status == QueryStatus.PENDING
        )


def test_approval_rechecks_the_rule_of_its_kind(world) -> None:
    """A renewal asked while the freeze was in force is refused if the freeze ended meanwhile."""
    freeze = awaiting_freeze(world)
    approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    bank_answer(
        world,
        freeze,
        {"outcome": "frozen", "amount_frozen": "5200.00", "frozen_at": "2026-11-22T09:00:00+08:00"},
    )
    renewal = submit(
        world,
        "freeze_renew",
        {"account_number": freeze_input()["account_number"], "decision_reference": "DJ-2026-0043"},
    )
    freeze.hold.status = "expired"
    freeze.hold.save(update_fields=["status"])
    with pytest.raises(RefusedByRule) as refused:
        approvals.query_approve(actor=world.supervisor_a, query_id=renewal.pk)
    assert refused.value.code == "no_active_freeze"
    renewal.refresh_from_db()
    assert (renewal.status, renewal.reason) == (QueryStatus.REFUSED, "no_active_freeze")
    assert _events(renewal, ExchangeAction.QUERY_REFUSED)[0].actor_id == world.supervisor_a.actor_label


def test_cancel_by_the_requester_or_a_supervisor_only(world) -> None:
    freeze = awaiting_freeze(world)
    colleague = factories.person(world.unit_a, "officer")
    with pytest.raises(approvals.NotYourRequest):
        approvals.query_cancel(actor=colleague, query_id=freeze.pk)
    cancelled = approvals.query_cancel(actor=world.officer_a, query_id=freeze.pk)
    assert (cancelled.status, cancelled.reason) == (QueryStatus.CANCELLED, "cancelled")
    assert _events(freeze, ExchangeAction.QUERY_CANCELLED)[-1].outcome == Outcome.ALLOWED
    with pytest.raises(approvals.NotCancellable):
        approvals.query_cancel(actor=world.supervisor_a, query_id=freeze.pk)
    with pytest.raises(approvals.NotAwaitingApproval):
        approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)


def test_a_cancelled_query_is_neither_pulled_nor_pushed_nor_answered(world) -> None:
    bank_grants(world)
    stop = submit(world, "stop_payment", stop_input())
    approvals.query_cancel(actor=world.supervisor_a, query_id=stop.pk)
    assert inbox_lease(adapter=bank_adapter(world), limit=10) == []
    assert push.push_attempt(str(stop.pk)) == push.PushOutcome(done=True)
    stop.refresh_from_db()
    assert stop.delivery_attempts == 0
    with pytest.raises(NotFound):  # the bank never had it: it does not exist for the bank
        bank_answer(world, stop, STOPPED)


def test_an_answered_query_cannot_be_cancelled(world) -> None:
    bank_grants(world)
    stop = submit(world, "stop_payment", stop_input())
    bank_answer(world, stop, STOPPED)
    with pytest.raises(approvals.NotCancellable):
        approvals.query_cancel(actor=world.officer_a, query_id=stop.pk)


def test_the_api_approves_rejects_and_cancels(world) -> None:
    supervisor = token_client(world.supervisor_a)
    freeze = awaiting_freeze(world)
    response = supervisor.post(f"/api/v1/queries/{freeze.pk}/approve/")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["status"] == "pending" and response.json()["id"] == str(freeze.pk)
    assert (
        supervisor.post(f"/api/v1/queries/{freeze.pk}/approve/").json()["error"]["code"]
        == "not_awaiting_approval"
    )
    other = awaiting_freeze_again(world)
    bad = supervisor.post(
        f"/api/v1/queries/{other.pk}/reject/", {"reason": "because I say so"}, format="json"
    )
    assert bad.status_code == 400 and "because" not in bad.content.decode()
    assert (
        supervisor.post(f"/api/v1/queries/{other.pk}/reject/", {"reason": "duplicate"}, format="json").json()[
            "status"
        ]
        == "refused"
    )
    own = submit(world, "freeze", freeze_input(), actor=world.supervisor_a)
    refused = supervisor.post(f"/api/v1/queries/{own.pk}/approve/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "own_request"
    assert token_client(world.officer_a).post(f"/api/v1/queries/{own.pk}/cancel/").status_code == 403
    assert supervisor.post(f"/api/v1/queries/{own.pk}/cancel/").json()["status"] == "cancelled"


def awaiting_freeze_again(world) -> Query:
    """Another waiting freeze of case A (the grants are already there)."""
    return submit(world, "freeze", freeze_input())


def test_the_approval_queue_is_the_status_filter(world) -> None:
    freeze = awaiting_freeze(world)
    listed = token_client(world.supervisor_a).get("/api/v1/queries/", {"status": "awaiting_approval"})
    assert [item["id"] for item in listed.json()["results"]] == [str(freeze.pk)]


def test_a_query_waiting_in_a_case_closed_meanwhile_is_refused_on_approval(world) -> None:
    freeze = awaiting_freeze(world)
    cases.case_close(actor=world.officer_a, case_id=world.case_a.pk)
    with pytest.raises(CaseClosed):
        approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    freeze.refresh_from_db()
    assert (freeze.status, freeze.reason) == (QueryStatus.REFUSED, "case_closed")
    assert not OutboxMessage.objects.filter(query=freeze).exists()
