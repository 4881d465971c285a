"""A bank that acts on a stop-payment after its deadline: the gateway keeps the late answer,
so the money it holds is known; anything else expired still takes no answer (410)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from exchange.choices import HoldStatus, QueryStatus
from exchange.delivery.expiry import expire_overdue_queries
from exchange.delivery.inbox import inbox_lease
from exchange.models import Hold, Query
from exchange.services.answers import QueryClosed
from tests.exchange.service_matrix_holds import bank_adapter, bank_answer, bank_grants, stop_input, submit
from tests.exchange.test_holds import STOPPED, STOPPED_AT


@pytest.fixture
def granted(world: Any) -> Any:
    bank_grants(world)
    return world


def _expired(query: Query) -> Query:
    Query.objects.filter(pk=query.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert expire_overdue_queries() == 1
    query.refresh_from_db()
    assert query.status == QueryStatus.EXPIRED
    return query


def test_a_stop_answered_after_its_deadline_is_kept_with_its_hold(granted: Any) -> None:
    stop = submit(granted, "stop_payment", stop_input())
    assert [q.pk for q in inbox_lease(adapter=bank_adapter(granted), limit=10)] == [stop.pk]
    expired = _expired(stop)
    answered = bank_answer(granted, expired, STOPPED)
    assert answered.status == QueryStatus.ANSWERED and answered.closed_at == expired.closed_at
    hold = Hold.objects.get(query=stop)
    assert hold.status == HoldStatus.ACTIVE and hold.expires_at == STOPPED_AT + timedelta(hours=48)
    event = AuditEvent.objects.get(action="query_answered", target_id=str(stop.pk))
    assert event.details["late"] is True
    assert bank_answer(granted, answered, STOPPED).status == QueryStatus.ANSWERED  # the same again


def test_a_stop_that_never_reached_the_bank_takes_no_late_answer(granted: Any) -> None:
    stop = _expired(submit(granted, "stop_payment", stop_input()))
    with pytest.raises(QueryClosed):
        bank_answer(granted, stop, STOPPED)
    assert not Hold.objects.filter(query=stop).exists()


def test_an_expired_lookup_takes_no_late_answer(granted: Any) -> None:
    transfers = submit(granted, "account_transfers", {"account_number": stop_input()["account_number"]})
    inbox_lease(adapter=bank_adapter(granted), limit=10)
    expired = _expired(transfers)
    with pytest.raises(QueryClosed):
        bank_answer(
            granted,
            expired,
            {
                "holder_name": "王五",
                "holder_id_number": "110101199001011234",
                "balance": "0.00",
                "transfers": [],
            },
        )
    expired.refresh_from_db()
    assert expired.status == QueryStatus.EXPIRED
