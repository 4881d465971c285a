"""A query's statuses are a state machine: one table of moves, one function that moves, and
a kind that needs approval starts its queries waiting for it."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from core.errors import Conflict
from exchange import states
from exchange.choices import QueryStatus
from exchange.delivery.expiry import expire_overdue_queries
from exchange.delivery.inbox import inbox_lease
from exchange.kinds.order_lookup import OrderLookup
from exchange.models import OutboxMessage, Query
from partners.identity import AdapterPrincipal
from tests import factories
from tests.clients import signed_world_client

ANSWER = {"status": "not_found"}


def test_every_status_has_its_moves_and_closed_ones_have_none() -> None:
    assert set(states.TRANSITIONS) == set(QueryStatus.values)
    assert {
        QueryStatus.ANSWERED,
        QueryStatus.NOT_FOUND,
        QueryStatus.FAILED,
        QueryStatus.EXPIRED,
        QueryStatus.REFUSED,
        QueryStatus.CANCELLED,
    } == states.CLOSED_STATUSES
    assert states.may_move(QueryStatus.AWAITING_APPROVAL, QueryStatus.PENDING)
    assert not states.may_move(QueryStatus.AWAITING_APPROVAL, QueryStatus.DISPATCHED)
    assert not states.may_move(QueryStatus.DISPATCHED, QueryStatus.REFUSED)


def test_a_move_sets_the_times_it_implies_and_an_illegal_one_changes_nothing() -> None:
    query = Query(status=QueryStatus.PENDING, lease_until=timezone.now())
    at = timezone.now()
    assert states.move(query, QueryStatus.DISPATCHED, at=at) == ["status", "dispatched_at"]
    closing = states.move(query, QueryStatus.ANSWERED, at=at)
    assert closing == ["status", "answered_at", "closed_at", "lease_until"]
    assert (query.dispatched_at, query.answered_at, query.closed_at, query.lease_until) == (at, at, at, None)
    with pytest.raises(states.IllegalMove) as refused:
        states.move(query, QueryStatus.EXPIRED)
    assert isinstance(refused.value, Conflict)
    assert query.status == QueryStatus.ANSWERED


def test_delivery_and_expiry_move_through_the_table(world: Any) -> None:
    adapter = AdapterPrincipal(key=world.key_x.key)
    (leased,) = inbox_lease(adapter=adapter, limit=10)
    stored = Query.objects.get(pk=leased.pk)
    assert (stored.status, stored.delivery_attempts) == (QueryStatus.DISPATCHED, 1)
    assert stored.dispatched_at is not None and stored.lease_until is not None
    Query.objects.filter(pk=stored.pk).update(deadline=timezone.now(), lease_until=None)
    assert expire_overdue_queries() == 1
    expired = Query.objects.get(pk=stored.pk)
    assert (expired.status, expired.lease_until) == (QueryStatus.EXPIRED, None)
    assert expired.closed_at is not None


def test_a_kind_that_needs_approval_starts_waiting_and_is_not_delivered(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OrderLookup, "needs_approval", True)
    case_b = factories.case(world.officer_b)
    pushed = factories.query(world.officer_b, case_b, world.platform_y, order_number="PY0000000002")
    pulled = factories.query(world.officer_a, world.case_a, world.platform_x, order_number="PX0000000002")
    assert {pushed.status, pulled.status} == {QueryStatus.AWAITING_APPROVAL}
    assert not OutboxMessage.objects.filter(query=pushed).exists()
    leased = inbox_lease(adapter=AdapterPrincipal(key=world.key_x.key), limit=10)
    assert pulled.pk not in {query.pk for query in leased}
    answered = signed_world_client(world.key_x).post(
        f"/api/v1/adapter/queries/{pulled.pk}/answer/", ANSWER, format="json"
    )
    assert answered.status_code == 404  # never sent: the partner does not know it exists
    assert Query.objects.get(pk=pulled.pk).status == QueryStatus.AWAITING_APPROVAL


def test_a_query_nobody_approved_in_time_expires_saying_so(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OrderLookup, "needs_approval", True)
    waiting = factories.query(world.officer_a, world.case_a, world.platform_x, order_number="PX0000000003")
    Query.objects.filter(pk=waiting.pk).update(deadline=timezone.now())
    assert expire_overdue_queries() == 1
    expired = Query.objects.get(pk=waiting.pk)
    assert (expired.status, expired.reason) == (QueryStatus.EXPIRED, "not_approved")
