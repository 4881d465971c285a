"""The moments a query's round trip is cut at, as the gateway records them: the webhook's first
reply (`delivered_at`), and the first time police of its unit read it closed (`answer_seen_at`),
written once and never by a poll before or after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange import selectors
from exchange.delivery import push
from exchange.models import Query
from tests import factories
from tests.exchange.conftest import ANSWER, answer


def replying(monkeypatch: Any, *replies: httpx.Response) -> list[httpx.Request]:
    """The push webhook answers with `replies`, one per request, in order."""
    received: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return replies[len(received) - 1]

    monkeypatch.setattr(push, "_webhooks", httpx.Client(transport=httpx.MockTransport(reply)))
    return received


@pytest.fixture
def pushed(world: Any) -> Query:
    case = factories.case(world.officer_b, "B-0001")
    return factories.query(world.officer_b, case, world.platform_y, order_number="PY0000000001")


def stored(query: Query) -> Query:
    return Query.objects.get(pk=query.pk)


def at(moment: datetime | None) -> datetime:
    """A moment that must have been recorded."""
    assert moment is not None
    return moment


def test_a_pushed_answer_marks_pickup_delivery_and_answer_in_order(world, pushed, monkeypatch):
    replying(monkeypatch, httpx.Response(200, json=ANSWER))
    assert stored(pushed).delivered_at is None
    assert push.push_attempt(str(pushed.pk)).done
    query = stored(pushed)
    assert query.status == "answered"
    assert (
        query.outbox.created_at <= at(query.dispatched_at) <= at(query.delivered_at) <= at(query.answered_at)
    )


def test_the_first_reply_is_the_delivery_a_later_attempt_keeps_it(world, pushed, monkeypatch):
    received = replying(monkeypatch, httpx.Response(202), httpx.Response(202))
    assert push.push_attempt(str(pushed.pk)).done
    first = stored(pushed).delivered_at
    assert at(first) >= at(stored(pushed).dispatched_at)
    assert push.push_attempt(str(pushed.pk)).done  # taking the lease whoever held it
    assert len(received) == 2 and stored(pushed).delivered_at == first


def test_an_unreachable_webhook_delivers_nothing(world, pushed, monkeypatch):
    replying(monkeypatch, httpx.Response(503))
    assert not push.push_attempt(str(pushed.pk)).done
    assert stored(pushed).delivered_at is None and stored(pushed).dispatched_at is not None


def updates(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]


def test_the_answer_is_seen_once_by_police_of_the_unit_and_polls_write_nothing(world):
    query = world.query_a
    with CaptureQueriesContext(connection) as waiting:
        assert selectors.query_get(world.officer_a, query.pk).answer_seen_at is None  # a poll, still open
    assert updates(waiting) == []
    answer(world, query)
    selectors.query_get(world.auditor, query.pk)  # an auditor's read is no officer's sight
    assert stored(query).answer_seen_at is None
    seen = selectors.query_get(world.supervisor_a, query.pk).answer_seen_at
    assert at(seen) >= at(stored(query).answered_at)
    assert stored(query).answer_seen_at == seen
    with CaptureQueriesContext(connection) as again:
        assert selectors.query_get(world.officer_a, query.pk).answer_seen_at == seen
    assert updates(again) == []


def test_the_api_read_of_the_answer_records_its_sight(world):
    answer(world, world.query_a)
    response = world.client("officer_a").get(f"/api/v1/queries/{world.query_a.pk}/")
    assert response.status_code == 200
    assert stored(world.query_a).answer_seen_at is not None


def test_the_models_and_their_migrations_agree(db):
    """`0008_stage_timestamps` (gateway) and `0010_partner_push_queue` (partners) are the whole
    change: nothing is left for `makemigrations`, and each app has one leaf."""
    for app in ("gateway", "partners"):
        call_command("makemigrations", app, "--check", "--dry-run", verbosity=0, skip_checks=True)
    columns = {
        column.name
        for column in connection.introspection.get_table_description(connection.cursor(), "gateway_query")
    }
    assert {"delivered_at", "answer_seen_at"} <= columns
