"""The approval queue: a freeze waits for a supervisor, who approves or rejects it in the page."""

from __future__ import annotations

from django.test import Client

from exchange.choices import QueryStatus
from tests.exchange.service_matrix_holds import awaiting_freeze


def _client(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_supervisor_approves_a_waiting_freeze(world):
    freeze = awaiting_freeze(world)
    supervisor = _client(world.supervisor_a)
    queue = supervisor.get("/console/approvals/").content.decode()
    assert f"/console/queries/{freeze.pk}/approve/" in queue and world.case_a.number in queue
    response = supervisor.post(f"/console/queries/{freeze.pk}/approve/")
    assert response.status_code == 302 and response.headers["Location"] == "/console/approvals/"
    freeze.refresh_from_db()
    assert freeze.status == QueryStatus.PENDING
    assert "没有等待审批的查询" in supervisor.get("/console/approvals/").content.decode()


def test_a_supervisor_rejects_with_a_reason_code(world):
    freeze = awaiting_freeze(world)
    response = _client(world.supervisor_a).post(
        f"/console/queries/{freeze.pk}/reject/", {"reason": "no_decision"}
    )
    assert response.status_code == 302
    freeze.refresh_from_db()
    assert freeze.status == QueryStatus.REFUSED


def test_officers_see_the_queue_but_do_not_decide(world):
    freeze = awaiting_freeze(world)
    officer = _client(world.officer_a)
    queue = officer.get("/console/approvals/").content.decode()
    assert 'data-testid="approval-row"' in queue and 'data-testid="approve"' not in queue
    assert officer.post(f"/console/queries/{freeze.pk}/approve/").status_code == 404


def test_the_requester_is_refused_on_the_queue(world):
    freeze = awaiting_freeze(world, world.supervisor_a)
    supervisor = _client(world.supervisor_a)
    response = supervisor.post(f"/console/queries/{freeze.pk}/approve/")
    assert response.headers["Location"] == "/console/approvals/?refused=own_request"
    page = supervisor.get(response.headers["Location"]).content.decode()
    assert "您不能审批自己提出的请求" in page
