"""What a security review of the bank kinds found, each shown closed by a test that failed before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.errors import Conflict, NotFound
from exchange.choices import HoldStatus, QueryStatus
from exchange.delivery.expiry import expire_overdue_queries
from exchange.delivery.inbox import inbox_lease
from exchange.models import Finding, Hold, Query
from exchange.selectors import query_get, trace_export
from exchange.sending import NoGrant, RefusedByRule
from exchange.services import approvals, queries
from partners.models import Grant
from tests import factories
from tests.exchange.service_matrix_holds import (
    ACCOUNT,
    bank_adapter,
    bank_answer,
    bank_grants,
    freeze_input,
    stop_input,
    submit,
)
from tests.exchange.test_traces import banks, node, start, transfer, transfers


@pytest.fixture
def granted(world: Any) -> Any:
    bank_grants(world)
    return world


def _delivered_stop(world: Any) -> Query:
    stop = submit(world, "stop_payment", stop_input())
    (leased,) = inbox_lease(adapter=bank_adapter(world), limit=10)
    assert leased.pk == stop.pk
    return stop


def test_a_stop_the_bank_received_cannot_be_cancelled(granted: Any) -> None:
    stop = _delivered_stop(granted)
    with pytest.raises(Conflict):
        approvals.query_cancel(actor=granted.officer_a, query_id=stop.pk)
    stop.refresh_from_db()
    assert stop.status == QueryStatus.DISPATCHED


def test_stops_the_bank_received_and_never_answered_still_count(granted: Any) -> None:
    for _ in range(2):
        stop = _delivered_stop(granted)
        Query.objects.filter(pk=stop.pk).update(deadline=timezone.now() - timedelta(seconds=1))
        expire_overdue_queries()
    with pytest.raises(RefusedByRule) as refused:
        submit(granted, "stop_payment", stop_input())
    assert refused.value.code == "stop_limit_reached"


def test_an_answer_naming_500_accounts_is_recorded(granted: Any) -> None:
    query = submit(granted, "account_transfers", {"account_number": ACCOUNT})
    many = [transfer(f"62220203{index:011d}", "10.00") for index in range(500)]
    answered = bank_answer(
        granted,
        query,
        {
            "holder_name": "李四",
            "holder_id_number": "110101199001011234",
            "balance": "0.00",
            "transfers": many,
        },
    )
    assert answered.status == QueryStatus.ANSWERED
    assert Finding.objects.filter(query=query).count() == 500


def test_approval_checks_the_grant_again(granted: Any) -> None:
    freeze = submit(granted, "freeze", freeze_input())
    Grant.objects.filter(content_object=granted.bank).delete()
    with pytest.raises(NoGrant):
        approvals.query_approve(actor=granted.supervisor_a, query_id=freeze.pk)
    freeze.refresh_from_db()
    assert freeze.status == QueryStatus.REFUSED
    assert inbox_lease(adapter=bank_adapter(granted), limit=10) == []


def test_a_bank_never_sees_a_query_cancelled_before_it_left(granted: Any) -> None:
    freeze = submit(granted, "freeze", freeze_input())
    approvals.query_cancel(actor=granted.officer_a, query_id=freeze.pk)
    with pytest.raises(NotFound):
        query_get(actor=bank_adapter(granted), query_id=freeze.pk)


def test_a_renewal_answered_by_another_bank_changes_no_freeze(granted: Any) -> None:
    freeze = submit(granted, "freeze", freeze_input())
    approvals.query_approve(actor=granted.supervisor_a, query_id=freeze.pk)
    frozen_at = timezone.now()
    bank_answer(
        granted, freeze, {"outcome": "frozen", "amount_frozen": "100.00", "frozen_at": frozen_at.isoformat()}
    )
    hold = Hold.objects.get(query=freeze)
    other = factories.bank("bank-other", bins=("621700",))
    factories.grant(granted.unit_a, other, "freeze_renew")
    renewal = {"account_number": ACCOUNT, "decision_reference": "R-2", "period_days": 30}
    with pytest.raises(RefusedByRule) as refused:
        queries.query_submit(
            actor=granted.officer_a,
            submission=queries.Submission(
                case_id=granted.case_a.pk, kind="freeze_renew", partner=other.code, input=renewal
            ),
        )
    assert refused.value.code == "no_active_freeze"
    hold.refresh_from_db()
    assert hold.status == HoldStatus.ACTIVE and hold.expires_at == frozen_at + timedelta(days=30)


def test_the_case_file_csv_runs_no_formula(world: Any) -> None:
    held = banks(world)
    trace = start(world, account_number="6222020000000001")
    transfers(
        held,
        trace,
        "6222020000000001",
        [{**transfer("6222020000000002", "10.00"), "to_bank": "=HYPERLINK(1)"}],
    )
    assert node(trace, "6222020000000002").tier == 2
    exported = trace_export(world.officer_a, trace.pk, "csv")
    assert "'=HYPERLINK(1)" in exported and ",=HYPERLINK" not in exported
