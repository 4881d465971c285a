"""Stops and freezes as the gateway keeps them: the limit of two stops, holds, their clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from exchange.audit_actions import ExchangeAction
from exchange.choices import HoldKind, HoldStatus, QueryStatus
from exchange.delivery.hold_expiry import SweepResult, holds_sweep
from exchange.delivery.inbox import inbox_lease
from exchange.models import Hold, OutboxMessage, Query
from exchange.sending import RefusedByRule
from exchange.services import answers, approvals, queries
from partners.choices import Delivery
from partners.identity import AdapterPrincipal
from tests import factories
from tests.clients import token_client
from tests.exchange.service_matrix_holds import (
    ACCOUNT,
    OTHER_ACCOUNT,
    bank_adapter,
    bank_answer,
    bank_grants,
    freeze_input,
    stop_input,
    submit,
)

STOPPED_AT = datetime.fromisoformat("2026-11-21T10:05:00+08:00")
STOPPED = {"outcome": "stopped", "amount_held": "5200.00", "stopped_at": STOPPED_AT.isoformat()}
FROZEN_AT = datetime.fromisoformat("2026-11-22T09:00:00+08:00")


@pytest.fixture
def granted(world):
    bank_grants(world)
    return world


def _stop(world, account: str = ACCOUNT, case=None) -> Query:
    return submit(world, "stop_payment", stop_input(account), case=case)


def _stopped(world, account: str = ACCOUNT) -> Hold:
    query = _stop(world, account)
    bank_answer(world, query, STOPPED)
    return Hold.objects.get(query=query)


def _frozen(world, outcome: str = "frozen", amount: str = "5200.00", period_days: int = 30) -> Hold:
    freeze = submit(world, "freeze", freeze_input(period_days=period_days))
    approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    bank_answer(
        world, freeze, {"outcome": outcome, "amount_frozen": amount, "frozen_at": FROZEN_AT.isoformat()}
    )
    return Hold.objects.get(query=freeze)


def _details(hold: Hold, action: str) -> list[dict]:
    return [
        e.details for e in AuditEvent.objects.filter(target_id=str(hold.pk), action=action).order_by("id")
    ]


def test_a_stop_the_bank_made_is_a_hold_of_48_hours(granted) -> None:
    hold = _stopped(granted)
    assert (hold.kind, hold.status, hold.amount, hold.partial) == (
        HoldKind.STOP_PAYMENT,
        HoldStatus.ACTIVE,
        Decimal("5200.00"),
        False,
    )
    assert hold.started_at == STOPPED_AT and hold.expires_at == STOPPED_AT + timedelta(hours=48)
    assert (hold.account, hold.bank, hold.case) == (ACCOUNT, granted.bank, granted.case_a)
    (started,) = _details(hold, ExchangeAction.HOLD_STARTED)
    assert started["amount"] == "5200.00" and started["hold"] == str(hold.pk)
    event = AuditEvent.objects.get(target_id=str(hold.pk), action=ExchangeAction.HOLD_STARTED)
    assert event.case_id == str(granted.case_a.pk)
    assert ACCOUNT not in json.dumps(event.details) and "李四" not in json.dumps(event.details)


@pytest.mark.parametrize(
    "result",
    [
        {"outcome": "not_matched", "mismatched": ["holder_name", "amount"]},
        {"outcome": "refused", "refusal_reason": "no_funds"},
    ],
)
def test_a_stop_not_made_holds_nothing_and_does_not_count(granted, result) -> None:
    for _ in range(2):
        bank_answer(granted, _stop(granted), result)
    assert not Hold.objects.exists()
    assert _stop(granted).status == QueryStatus.PENDING  # a third instruction, the first that counts


def test_a_third_stop_is_refused_before_it_leaves(world) -> None:
    pushed = factories.bank(
        "bank-push", bins=("621700",), delivery=Delivery.PUSH, webhook_url="http://127.0.0.1:9/h"
    )
    factories.grant(world.unit_a, pushed, "stop_payment")

    def stop() -> Query:
        return queries.query_submit(
            actor=world.officer_a,
            submission=queries.Submission(
                case_id=world.case_a.pk, kind="stop_payment", partner=pushed.code, input=stop_input()
            ),
        )

    first, second = stop(), stop()
    # The first answered stopped still counts (its hold exists), the second is on its way.
    adapter = AdapterPrincipal(key=factories.adapter_key(pushed).key)
    answers.answer_record(actor=adapter, query_id=first.pk, payload={"status": "answered", "result": STOPPED})
    assert Hold.objects.filter(query=first).exists()
    with pytest.raises(RefusedByRule) as refused:
        stop()
    assert refused.value.code == "stop_limit_reached"
    third = (
        Query.objects.filter(case=world.case_a, kind="stop_payment")
        .exclude(pk__in=[first.pk, second.pk])
        .get()
    )
    assert (third.status, third.reason) == (QueryStatus.REFUSED, "stop_limit_reached")
    assert not OutboxMessage.objects.filter(query=third).exists()
    event = AuditEvent.objects.get(target_id=str(third.pk), action=ExchangeAction.QUERY_REFUSED)
    assert event.details["reason"] == "stop_limit_reached" and event.outcome == "denied"


def test_the_limit_is_per_account_and_case_and_cancelled_stops_do_not_count(granted) -> None:
    _stop(granted)
    cancelled = _stop(granted)
    approvals.query_cancel(actor=granted.officer_a, query_id=cancelled.pk)
    assert _stop(granted).status == QueryStatus.PENDING
    assert _stop(granted, OTHER_ACCOUNT).status == QueryStatus.PENDING
    other_case = factories.case(granted.officer_a)
    assert _stop(granted, case=other_case).status == QueryStatus.PENDING
    with pytest.raises(RefusedByRule):
        _stop(granted)


def test_the_unit_is_warned_six_hours_before_and_the_stop_expires_at_48_hours(granted) -> None:
    hold = _stopped(granted)
    end = hold.expires_at
    result = holds_sweep(now=end - timedelta(hours=6, seconds=1))
    assert (result.warned, result.expired) == (0, 0)
    warned_at = end - timedelta(hours=6)
    assert holds_sweep(now=warned_at).warned == 1
    hold.refresh_from_db()
    assert (hold.status, hold.warned_at) == (HoldStatus.ACTIVE, warned_at)
    event = AuditEvent.objects.get(target_id=str(hold.pk), action=ExchangeAction.HOLD_EXPIRING)
    assert event.case_id == str(granted.case_a.pk)
    assert holds_sweep(now=warned_at + timedelta(minutes=1)).warned == 0  # once
    assert holds_sweep(now=end - timedelta(seconds=1)).expired == 0
    assert holds_sweep(now=end).expired == 1
    hold.refresh_from_db()
    assert (hold.status, hold.ended_at) == (HoldStatus.EXPIRED, end)
    assert len(_details(hold, ExchangeAction.HOLD_EXPIRED)) == 1
    assert holds_sweep(now=end + timedelta(hours=1)) == SweepResult(warned=0, expired=0)
    assert len(_details(hold, ExchangeAction.HOLD_EXPIRED)) == 1


def test_a_freeze_replaces_the_stops_of_its_account(granted) -> None:
    stop = _stopped(granted)
    elsewhere = _stopped(granted, OTHER_ACCOUNT)
    freeze = _frozen(granted, period_days=30)
    assert (freeze.kind, freeze.partial, freeze.amount) == (HoldKind.FREEZE, False, Decimal("5200.00"))
    assert freeze.expires_at == FROZEN_AT + timedelta(days=30)
    stop.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (stop.status, stop.ended_at) == (HoldStatus.REPLACED, FROZEN_AT)
    assert elsewhere.status == HoldStatus.ACTIVE
    (replaced,) = _details(stop, ExchangeAction.HOLD_REPLACED)
    assert replaced["by"] == str(freeze.pk)
    holds_sweep(now=stop.expires_at)
    stop.refresh_from_db()
    assert stop.status == HoldStatus.REPLACED  # a replaced stop does not expire


def test_a_partial_freeze_holds_what_was_there(granted) -> None:
    freeze = _frozen(granted, outcome="partially_frozen", amount="1200.50")
    assert (freeze.partial, freeze.amount, freeze.status) == (True, Decimal("1200.50"), HoldStatus.ACTIVE)


def test_a_refused_freeze_holds_nothing(granted) -> None:
    freeze = submit(granted, "freeze", freeze_input())
    approvals.query_approve(actor=granted.supervisor_a, query_id=freeze.pk)
    bank_answer(granted, freeze, {"outcome": "refused", "refusal_reason": "already_held"})
    assert not Hold.objects.exists()


def _renewal(world, kind: str = "freeze_renew") -> Query:
    data = {"account_number": ACCOUNT, "decision_reference": "DJ-2026-0043"}
    return submit(world, kind, {**data, "period_days": 60} if kind == "freeze_renew" else data)


@pytest.mark.parametrize("kind", ["freeze_renew", "freeze_release"])
def test_renewal_and_release_need_a_freeze_in_force(granted, kind) -> None:
    _stopped(granted)  # a stop is not a freeze
    with pytest.raises(RefusedByRule) as refused:
        _renewal(granted, kind)
    assert refused.value.code == "no_active_freeze"
    assert inbox_lease(adapter=bank_adapter(granted), limit=10) == []  # the refused one never leaves


def test_a_renewal_lengthens_the_freeze_and_warns_again(granted) -> None:
    freeze = _frozen(granted, period_days=30)
    holds_sweep(now=freeze.expires_at - timedelta(hours=1))
    renewal = _renewal(granted)
    assert renewal.status == QueryStatus.AWAITING_APPROVAL
    approvals.query_approve(actor=granted.supervisor_a, query_id=renewal.pk)
    bank_answer(granted, renewal, {"outcome": "renewed", "renewed_at": FROZEN_AT.isoformat()})
    freeze.refresh_from_db()
    assert freeze.expires_at == FROZEN_AT + timedelta(days=90)
    assert (freeze.status, freeze.warned_at) == (HoldStatus.ACTIVE, None)
    (renewed,) = _details(freeze, ExchangeAction.HOLD_RENEWED)
    assert renewed["days"] == 60


def test_a_release_ends_the_freeze(granted) -> None:
    freeze = _frozen(granted)
    release = _renewal(granted, "freeze_release")
    approvals.query_approve(actor=granted.supervisor_a, query_id=release.pk)
    released_at = FROZEN_AT + timedelta(days=3)
    bank_answer(granted, release, {"outcome": "released", "released_at": released_at.isoformat()})
    freeze.refresh_from_db()
    assert (freeze.status, freeze.ended_at) == (HoldStatus.RELEASED, released_at)
    assert len(_details(freeze, ExchangeAction.HOLD_RELEASED)) == 1
    with pytest.raises(RefusedByRule):
        _renewal(granted, "freeze_release")  # nothing left to release


def test_the_holds_of_a_case_through_the_api(granted) -> None:
    hold = _stopped(granted)
    for identity in ("officer_a", "auditor"):
        response = token_client(getattr(granted, identity)).get(f"/api/v1/cases/{granted.case_a.pk}/holds/")
        assert response.status_code == 200, response.content[:300]
        (item,) = response.json()["results"]
        assert item["id"] == str(hold.pk) and item["kind"] == "stop_payment" and item["status"] == "active"
        assert item["amount"] == "5200.00" and item["bank"] == granted.bank.code
        assert item["account"] != ACCOUNT and item["account"].endswith(ACCOUNT[-4:])
        assert ACCOUNT not in response.content.decode()
    assert token_client(granted.officer_b).get(f"/api/v1/cases/{granted.case_a.pk}/holds/").status_code == 404
