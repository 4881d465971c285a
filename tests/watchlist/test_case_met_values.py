"""A case lists only what it met: a value named by its answers, reached by its traces or asked
about by its queries, matched by blind index under every active index key version; any
other value is a 400 that never quotes it, audited as a denied listing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.choices import Outcome
from audit.models import AuditEvent
from core.errors import Invalid
from exchange.case_values import case_met_value
from exchange.models import Query, Trace, TraceAccount
from privacy.choices import KeyPurpose
from privacy.keyring import keyring
from privacy.rotation import key_versions_add
from tests import factories
from tests.clients import token_client
from tests.watchlist.service_matrix import ACCOUNT, PHONE, UNLISTED, met
from watchlist import services
from watchlist.audit_actions import WatchlistAction
from watchlist.models import WatchlistEntry


@pytest.fixture(autouse=True)
def fresh_keyring() -> Iterator[None]:
    keyring.reset()
    yield
    keyring.reset()


def list_value(world: Any, value: str, *, kind: str = "account", case: Any = None) -> WatchlistEntry:
    return services.entry_list(
        actor=world.supervisor_a,
        case_id=(case or world.case_a).pk,
        value=value,
        kind=kind,
        reason="mule_account" if kind == "account" else "fraud_number",
        restriction="counter_only",
    )


def trace_account(world: Any, account: str, case: Any = None) -> TraceAccount:
    """`account` as a node of a trace of `case` (case A), as the engine records one."""
    trace = Trace.objects.create(case=case or world.case_a, started_by=world.officer_a)
    return TraceAccount.objects.create(trace=trace, account=account, tier=1)


def asked(world: Any, phone: str, *, sent: bool = True) -> Query:
    """A number block of case A that asked about `phone` (its subject), as submission stores
    one, delivered to its partner (`sent`) or refused at the gateway."""
    now = timezone.now()
    return Query.objects.create(
        status="dispatched" if sent else "refused",
        dispatched_at=now if sent else None,
        case=world.case_a,
        kind="number_block",
        partner=world.platform_x,
        requested_by=world.officer_a,
        subject_kind="phone",
        subject=phone,
        params={"reason": "fraud_call", "period_days": 30},
        deadline=now + timedelta(minutes=2),
    )


def test_a_value_the_case_never_met_is_refused_unquoted_and_audited(world: Any) -> None:
    met(world, ACCOUNT)
    with pytest.raises(Invalid) as refused:
        list_value(world, UNLISTED)
    assert refused.value.code == "not_in_case" and refused.value.audited
    assert UNLISTED not in json.dumps([refused.value.message, refused.value.fields])
    assert not WatchlistEntry.objects.exists()
    (denial,) = AuditEvent.objects.filter(outcome=Outcome.DENIED)
    assert denial.action == WatchlistAction.ENTRY_LISTED and denial.case_id == str(world.case_a.pk)
    assert denial.details == {"kind": "account", "status": 400, "code": "not_in_case"}
    assert denial.target_id == str(world.case_a.pk)


def test_a_value_met_by_another_case_is_not_this_cases_to_list(world: Any) -> None:
    other = factories.case(world.officer_a, "A-0002")
    met(world, ACCOUNT, case=other)
    case_b = factories.case(world.officer_b, "B-0001")
    met(world, PHONE, kind="phone", case=case_b)
    with pytest.raises(Invalid):
        list_value(world, ACCOUNT)
    with pytest.raises(Invalid):
        list_value(world, PHONE, kind="phone")
    assert list_value(world, ACCOUNT, case=other).source_case_id == other.pk


def test_the_same_digits_as_another_kind_are_not_met(world: Any) -> None:
    met(world, PHONE, kind="phone")
    with pytest.raises(Invalid):
        list_value(world, PHONE, kind="account")
    assert list_value(world, "+86 139 1234 5678", kind="phone").kind == "phone"  # written otherwise


def test_each_source_lets_the_case_list_what_it_met(world: Any) -> None:
    trace_account(world, "6222020000000002")
    asked(world, PHONE)
    met(world, "13800001111", kind="phone")
    assert list_value(world, "6222 0200 0000 0002").kind == "account"  # a trace's account
    assert list_value(world, PHONE, kind="phone").kind == "phone"  # a query's subject
    assert list_value(world, "13800001111", kind="phone").kind == "phone"  # an answer's finding
    # The order number the world's lookup asked about is no account of the case.
    assert not case_met_value(case_id=world.case_a.pk, kind="account", value="PX0000000001")


def test_a_value_met_before_a_key_rotation_is_found_after_it(world: Any) -> None:
    met(world, ACCOUNT)
    trace_account(world, "6222020000000002")
    asked(world, PHONE)
    key_versions_add(purposes=KeyPurpose.values)
    assert case_met_value(case_id=world.case_a.pk, kind="account", value=ACCOUNT)
    assert case_met_value(case_id=world.case_a.pk, kind="account", value="6222020000000002")
    assert case_met_value(case_id=world.case_a.pk, kind="phone", value=PHONE)
    assert list_value(world, ACCOUNT).kind == "account"


def test_one_indexed_query_per_source_stopping_at_the_first_that_has_it(world: Any) -> None:
    met(world, ACCOUNT)
    case_met_value(case_id=world.case_a.pk, kind="account", value=ACCOUNT)  # warm the keyring
    plans = []
    for kind, value in (("account", ACCOUNT), ("account", UNLISTED), ("phone", PHONE)):
        with CaptureQueriesContext(connection) as captured:
            case_met_value(case_id=world.case_a.pk, kind=kind, value=value)
        plans.append([query["sql"] for query in captured])
    found, missed_account, missed_phone = plans
    assert len(found) == 1 and "finding" in found[0].lower()  # an answer named it: no further look
    assert len(missed_account) == 3  # findings, trace accounts, queries
    assert len(missed_phone) == 2  # a trace holds accounts only
    assert all(" IN (" in sql for sql in missed_account)


def test_an_unmet_value_over_http_is_a_400_in_the_one_error_shape(world: Any) -> None:
    body = {
        "case": str(world.case_a.pk),
        "kind": "account",
        "value": UNLISTED,
        "reason": "mule_account",
        "restriction": "counter_only",
    }
    response = token_client(world.supervisor_a).post("/api/v1/watchlist/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["code"] == "not_in_case"
    assert set(error["fields"]) == {"value"} and UNLISTED not in response.content.decode()
    assert AuditEvent.objects.filter(action=WatchlistAction.ENTRY_LISTED, outcome=Outcome.DENIED).count() == 1


def test_a_query_refused_at_the_gateway_met_nothing(world: Any) -> None:
    asked(world, PHONE, sent=False)  # e.g. to a partner the unit has no grant for
    with pytest.raises(Invalid):
        list_value(world, PHONE, kind="phone")
    asked(world, PHONE)
    assert list_value(world, PHONE, kind="phone").kind == "phone"
