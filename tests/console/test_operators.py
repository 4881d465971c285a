"""An answering partner's operator in the console: their partner's queries masked with each
one's deadline and lateness, the answer times against the deadlines, and the keys; nothing of
another partner; and the sign-in lands them on their queue."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from console.views.operators import answer_times
from exchange.delivery.expiry import expire_overdue_queries
from exchange.models import Query
from exchange.services import approvals
from partners.models import AdapterKey, Person
from tests import factories
from tests.console.conftest import answer, sign_in, with_password
from tests.exchange.service_matrix_holds import awaiting_freeze

QUEUE = "/console/partner/queries/"


@pytest.fixture
def operator_x(world: Any) -> Person:
    """An operator of platform X, the partner case A's lookups go to."""
    return factories.person(world.platform_x, "operator", "operator-x")


def _client(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="operator-query".*?</tr>', page, flags=re.S)


def _timed(query: Query, *, took: timedelta, deadline: timedelta) -> None:
    """Set when `query` was received and its deadline so that its answer took `took`."""
    answered = Query.objects.get(pk=query.pk).answered_at
    assert answered is not None
    Query.objects.filter(pk=query.pk).update(created_at=answered - took, deadline=answered - took + deadline)


def test_an_operator_sees_their_partners_queries_masked_with_their_deadline(world, operator_x):
    page = _client(operator_x).get(QUEUE).content.decode()
    rows = _rows(page)
    assert len(rows) == 1
    assert "PX0000000001" not in page  # the order number of query A, masked
    assert '<span class="value">PX00****0001</span>' in rows[0]
    deadline = timezone.localtime(world.query_a.deadline, timezone.get_fixed_timezone(480))
    assert f'data-testid="operator-query-deadline">{deadline:%Y-%m-%d %H:%M:%S}<' in rows[0]
    assert 'data-late="false"' in rows[0]
    # The bank's operator: nothing of platform X.
    assert _rows(_client(world.operator_bank).get(QUEUE).content.decode()) == []


def test_a_query_awaiting_approval_is_not_the_partners_until_approved(world):
    freeze = awaiting_freeze(world)
    operator = _client(world.operator_bank)
    assert _rows(operator.get(QUEUE).content.decode()) == []
    approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    rows = _rows(operator.get(QUEUE).content.decode())
    assert len(rows) == 1 and 'data-status="pending"' in rows[0]


def test_the_queue_keeps_one_state_and_flags_late_answers_and_expiries(world, operator_x):
    answer(world, world.query_a)
    late = answer(world, factories.query(world.officer_a, world.case_a, world.platform_x, "PX0000000002"))
    assert late.answered_at is not None
    Query.objects.filter(pk=late.pk).update(deadline=late.answered_at - timedelta(seconds=1))
    overdue = factories.query(world.officer_a, world.case_a, world.platform_x, "PX0000000003")
    Query.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    client = _client(operator_x)

    every_row = _rows(client.get(QUEUE).content.decode())
    assert len(every_row) == 3
    answered = _rows(client.get(QUEUE, {"state": "answered"}).content.decode())
    assert len(answered) == 2 and all('data-status="answered"' in row for row in answered)
    lateness = {row.count('data-late="true"') for row in answered}
    assert lateness == {0, 1}  # the late one flagged, the other not
    # Open past its deadline: late before the sweep, and expired (late) after it.
    pending = _rows(client.get(QUEUE, {"state": "pending"}).content.decode())
    assert len(pending) == 1 and 'data-late="true"' in pending[0]
    assert expire_overdue_queries() == 1
    expired = _rows(client.get(QUEUE, {"state": "expired"}).content.decode())
    assert len(expired) == 1 and 'data-late="true"' in expired[0]


def test_an_unknown_state_is_a_400_and_a_poll_gets_the_table_alone(world, operator_x):
    client = _client(operator_x)
    assert client.get(QUEUE, {"state": "awaiting_approval"}).status_code == 400  # never theirs
    assert client.get(QUEUE, {"state": "nonsense"}).status_code == 400
    poll = client.get(QUEUE, headers={"HX-Request": "true"})
    body = poll.content.decode()
    assert poll.status_code == 200 and body.startswith("<table") and "<html" not in body
    assert 'hx-trigger="every 2s"' in body and len(_rows(body)) == 1


def test_answer_times_are_the_partners_p50_and_p95_against_the_deadline(world, operator_x):
    deadline = timedelta(seconds=30)
    took = [timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=40)]
    queries = [world.query_a] + [
        factories.query(world.officer_a, world.case_a, world.platform_x, f"PX000000010{n}") for n in (1, 2)
    ]
    for query, time in zip(queries, took, strict=True):
        _timed(answer(world, query), took=time, deadline=deadline)
    expired = factories.query(world.officer_a, world.case_a, world.platform_x, "PX0000000109")
    Query.objects.filter(pk=expired.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert expire_overdue_queries() == 1

    (lookups,) = answer_times(operator_x, timezone.now() - timedelta(days=30))
    assert lookups.kind == "order_lookup" and lookups.answered == 3
    assert (lookups.expired, lookups.answered_late) == (1, 1)
    assert lookups.breaches == 2
    # Nearest rank of three: p50 the second (4 s), p95 the third (40 s), each within 1 %.
    assert abs(lookups.p50_ms - 4000) <= 40 and abs(lookups.p95_ms - 40000) <= 400
    assert lookups.deadline == deadline and lookups.p95_within_deadline is False

    page = _client(operator_x).get("/console/partner/answer-times/").content.decode()
    row = re.search(r'<tr data-testid="answer-times-row" data-kind="order_lookup">.*?</tr>', page, re.S)
    assert row is not None
    assert 'data-testid="p95-over"' in row.group(0)
    assert re.search(r'data-testid="breaches"><span class="error">2</span>', row.group(0))
    # Nothing of platform X's in the bank's figures.
    assert answer_times(world.operator_bank, timezone.now() - timedelta(days=30)) == []


def test_the_keys_page_shows_the_partners_keys_only(world, operator_x):
    old = world.adapter_key(world.platform_x, "old").key
    AdapterKey.objects.filter(pk=old.pk).update(revoked_at=timezone.now())
    used_at = timezone.now() - timedelta(minutes=5)
    AdapterKey.objects.filter(pk=world.key_x.key.pk).update(last_used_at=used_at)
    page = _client(operator_x).get("/console/partner/keys/").content.decode()
    keys = re.findall(r'<tr data-testid="adapter-key".*?</tr>', page, flags=re.S)
    assert len(keys) == 2
    assert world.key_x.key.key_id in page and old.key_id in page
    assert world.key_y.key.key_id not in page
    assert sum('data-revoked="true"' in row for row in keys) == 1
    shown = timezone.localtime(used_at, timezone.get_fixed_timezone(480))
    assert f'data-testid="last-used">{shown:%Y-%m-%d %H:%M:%S}<' in page
    assert 'data-testid="push-key"' in page


def test_an_operator_signing_in_lands_on_the_queue(world, operator_x):
    response = sign_in(with_password(operator_x))
    assert response.status_code == 302 and response.headers["Location"] == QUEUE
