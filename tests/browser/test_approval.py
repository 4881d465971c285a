"""A supervisor's approval in Chromium: an officer's freeze waits in the queue, the supervisor
approves it there, and it leaves for the bank; the requester's own freeze cannot be approved
by them (the page says why)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from exchange.audit_actions import ExchangeAction
from exchange.choices import QueryStatus
from tests.conftest import World
from tests.console.conftest import PASSWORD, with_password
from tests.exchange.service_matrix_holds import awaiting_freeze

pytestmark = pytest.mark.browser


def test_a_supervisor_approves_an_officers_freeze_in_the_queue(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    freeze = awaiting_freeze(live_world)
    own = awaiting_freeze(live_world, live_world.supervisor_a)
    supervisor = with_password(live_world.supervisor_a)
    base = live_server.url
    page.goto(f"{base}/console/approvals/")
    page.fill("#id_username", supervisor.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page).to_have_url(f"{base}/console/approvals/")
    expect(page.locator("h1")).to_have_text("审批")
    rows = page.get_by_test_id("approval-row")
    expect(rows).to_have_count(2)

    # Their own freeze: refused, and the page says so in its language.
    page.locator(f"form[action='/console/queries/{own.pk}/approve/'] button").click()
    expect(page).to_have_url(re.compile(r"/console/approvals/\?refused=own_request$"))
    expect(page.get_by_test_id("approval-refused")).to_have_text("您不能审批自己提出的请求。")
    own.refresh_from_db()
    assert own.status == QueryStatus.AWAITING_APPROVAL

    page.locator(f"form[action='/console/queries/{freeze.pk}/approve/'] button").click()
    expect(page).to_have_url(f"{base}/console/approvals/")
    expect(rows).to_have_count(1)
    freeze.refresh_from_db()
    assert freeze.status == QueryStatus.PENDING
    assert AuditEvent.objects.filter(
        action=ExchangeAction.QUERY_APPROVED, target_id=str(freeze.pk), actor_id=supervisor.actor_label
    ).exists()
    assert csp_violations == []
