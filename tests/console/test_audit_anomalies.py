"""The anomaly reports page: the API's findings (`anomaly_findings`) with their events linked,
and the API's window rule (`anomaly_window`)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.services import event_record


@pytest.fixture
def auditor_client(world) -> Client:
    client = Client()
    client.force_login(world.auditor)
    return client


def shanghai(moment) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def test_a_burst_of_denials_is_a_finding_with_its_events_linked(world, auditor_client):
    with transaction.atomic():
        burst = [
            event_record(actor=world.officer_b, action=AuditAction.REQUEST_DENIED, outcome=Outcome.DENIED)
            for _ in range(10)
        ]
    response = auditor_client.get("/console/audit/anomalies/")
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('data-kind="denied_burst"')
    finding = page[start : page.index("</dl>", start)]
    assert "person:officer-b" in finding
    for event in burst:
        assert f'href="/console/audit/events/{event.pk}/"' in finding


def test_a_window_without_findings_says_so(auditor_client):
    late = timezone.now() + timedelta(days=30)
    response = auditor_client.get(
        "/console/audit/anomalies/", {"since": shanghai(late), "until": shanghai(late + timedelta(hours=1))}
    )
    assert response.status_code == 200 and 'data-testid="no-findings"' in response.content.decode()


@pytest.mark.parametrize(
    ("since", "until"),
    [(timedelta(days=-8), timedelta(0)), (timedelta(0), timedelta(hours=-1)), (None, "not a time")],
)
def test_a_window_the_api_refuses_is_a_400(auditor_client, since, until):
    now = timezone.now()
    query = {"until": until if isinstance(until, str) else shanghai(now + until)}
    if since is not None:
        query["since"] = shanghai(now + since)
    response = auditor_client.get("/console/audit/anomalies/", query)
    assert response.status_code == 400 and 'data-testid="window-errors"' in response.content.decode()
