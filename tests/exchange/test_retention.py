"""The end of retention: a case closed longer than the period loses every personal value
(encrypted fields cleared, blind indexes gone), audited; younger and open cases keep theirs;
the audit log stays whole and verifies; the erased case still reads, empty."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from audit.sequencer import sequence_events
from audit.verification import verify_log
from exchange.checks import retention_check
from exchange.models import Case, Finding, Hold, Query, Trace, TraceAccount
from exchange.retention import retention_period, retention_sweep
from exchange.services import cases
from privacy.selectors import blind_index_filter
from tests import factories
from tests.clients import signed_world_client, token_client

ACCOUNT = "6222020200112233"
HOLDER = "王小明"
ANSWER = {"status": "answered", "result": {"bank": "Bank", "account_number": ACCOUNT, "holder_name": HOLDER}}


def _with_everything(world: Any, case: Case, query: Query) -> None:
    """An answered lookup (with its finding), a trace account and a hold on the account."""
    path = f"/api/v1/adapter/queries/{query.pk}/answer/"
    assert signed_world_client(world.key_x).post(path, ANSWER, format="json").status_code == 200
    trace = Trace.objects.create(case=case, started_by=world.officer_a, source_query=query)
    TraceAccount.objects.create(trace=trace, account=ACCOUNT, tier=1, bank=world.bank)
    Hold.objects.create(
        case=case,
        query=query,
        bank=world.bank,
        kind="stop_payment",
        account=ACCOUNT,
        amount=Decimal("100.00"),
        started_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=48),
    )


def _closed(officer: Any, case: Case, ago: timedelta) -> None:
    cases.case_close(actor=officer, case_id=case.pk)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - ago)


def _found(model: type[Any], field: str) -> set[Any]:
    found = model.objects.filter(blind_index_filter(model, field, ACCOUNT, kind="account"))
    return set(found.values_list("case_id", flat=True))


def test_a_case_past_retention_loses_its_personal_values_and_keeps_its_history(world: Any) -> None:
    old = world.case_a
    _with_everything(world, old, world.query_a)
    young = factories.case(world.officer_a, "A-YOUNG")
    _with_everything(world, young, factories.query(world.officer_a, young, world.platform_x, "PX0000000002"))
    _closed(world.officer_a, old, retention_period() + timedelta(days=1))
    _closed(world.officer_a, young, retention_period() - timedelta(days=1))
    assert _found(Finding, "value") == {old.pk, young.pk}

    totals = retention_sweep()
    assert totals["cases"] == 1
    assert (totals["case"], totals["query"], totals["finding"], totals["trace_account"], totals["hold"]) == (
        1, 1, 1, 1, 1,
    )  # fmt: skip

    erased = Case.objects.get(pk=old.pk)
    assert erased.erased_at is not None and erased.title == "" and erased.status == "closed"
    query = Query.objects.get(pk=world.query_a.pk)
    assert (query.subject, query.subject_index, query.answer, query.personal_input) == ("", None, None, None)
    assert query.answer_digest == ""  # derived from the answer's values: it goes with them
    assert (query.status, query.kind) == ("answered", "order_lookup")  # the history stays
    assert [(f.value, f.value_index) for f in Finding.objects.filter(case=old)] == [("", None)]
    assert [(a.account, a.account_index) for a in TraceAccount.objects.filter(trace__case=old)] == [
        ("", None)
    ]
    hold = Hold.objects.get(case=old)
    assert (hold.account, hold.account_index, hold.amount) == ("", None, Decimal("100.00"))
    # No search finds the erased case any more; the younger one keeps everything.
    assert _found(Finding, "value") == _found(Hold, "account") == {young.pk}
    assert (
        Case.objects.get(pk=young.pk).title == "Refund scam"
        and Case.objects.get(pk=young.pk).erased_at is None
    )

    event = AuditEvent.objects.get(action="case_erased")
    assert event.case_id == str(old.pk) and event.actor_type == "system"
    assert event.details["rows"] == {"case": 1, "query": 1, "finding": 1, "trace_account": 1, "hold": 1}
    text = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)), ensure_ascii=False)
    assert ACCOUNT not in text and HOLDER not in text
    # The audit log, which held no personal value, is whole and verifies.
    sequence_events()
    assert verify_log().ok

    # The erased case still reads, empty, for its unit.
    client = token_client(world.officer_a)
    shown = client.get(f"/api/v1/cases/{old.pk}/")
    assert shown.status_code == 200 and shown.json()["title"] == ""
    shown = client.get(f"/api/v1/queries/{world.query_a.pk}/")
    assert shown.status_code == 200 and ACCOUNT not in shown.content.decode()

    assert retention_sweep()["cases"] == 0  # nothing twice


def test_open_cases_are_never_erased_and_the_command_reports(world: Any) -> None:
    Case.objects.filter(pk=world.case_a.pk).update(opened_at=timezone.now() - timedelta(days=4000))
    out = StringIO()
    call_command("cases_erase_expired", "--dry-run", stdout=out)
    assert out.getvalue().startswith("0 case(s)")
    _closed(world.officer_a, world.case_a, retention_period() + timedelta(days=30))
    out = StringIO()
    call_command("cases_erase_expired", "--dry-run", stdout=out)
    assert out.getvalue().startswith("1 case(s)")
    out = StringIO()
    call_command("cases_erase_expired", stdout=out)
    assert "Erased 1 case(s)" in out.getvalue()
    assert Case.objects.get(pk=world.case_a.pk).erased_at is not None


@pytest.mark.parametrize("days", [1, -1])
def test_the_period_is_a_setting(world: Any, settings: Any, days: int) -> None:
    settings.AFX_RETENTION_DAYS = 30
    _closed(world.officer_a, world.case_a, timedelta(days=30 + days))
    assert retention_sweep()["cases"] == (1 if days > 0 else 0)


@pytest.mark.parametrize(("days", "errors"), [(1826, 0), (365, 0), (18, 1), (0, 1), (-5, 1)])
def test_a_retention_too_short_to_be_meant_stops_the_gateway(settings: Any, days: int, errors: int) -> None:
    settings.AFX_RETENTION_DAYS = days
    assert [e.id for e in retention_check()] == ["gateway.E001"] * errors
