"""The auditors' pages: the event search over `event_list`, an event, and its proof document,
the API's own (the outside verifier accepts it)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.sequencer import sequence_events
from audit.signing import public_key
from audit.verify_export import verify_proof


def first_event() -> AuditEvent:
    return AuditEvent.objects.order_by("id")[0]


@pytest.fixture
def auditor_client(world) -> Client:
    client = Client()
    client.force_login(world.auditor)
    return client


def test_the_search_filters_by_outcome_and_action(auditor_client, world):
    denied = AuditEvent.objects.filter(outcome="denied").count()
    page = auditor_client.get("/console/audit/events/", {"outcome": "denied"}).content.decode()
    assert page.count('data-testid="event-row"') == min(denied, 100)
    action = first_event().action
    page = auditor_client.get("/console/audit/events/", {"action": action}).content.decode()
    assert page.count('data-testid="event-row"') == min(AuditEvent.objects.filter(action=action).count(), 100)


def test_a_bad_filter_is_a_400_naming_the_field(auditor_client):
    response = auditor_client.get("/console/audit/events/", {"since": "yesterday"})
    assert response.status_code == 400 and 'data-testid="search-errors"' in response.content.decode()


def test_times_typed_are_shanghai_times(auditor_client, world):
    event = first_event()
    typed = event.created_at.astimezone(ZoneInfo("Asia/Shanghai"))
    after = auditor_client.get("/console/audit/events/", {"since": typed.strftime("%Y-%m-%dT%H:%M")})
    assert f'href="/console/audit/events/{event.pk}/"' in after.content.decode()


def test_the_event_page_names_the_published_key_and_loads_the_check(auditor_client, world):
    sequence_events()
    event = first_event()
    page = auditor_client.get(f"/console/audit/events/{event.pk}/").content.decode()
    assert 'src="/static/console/proof.js"' in page
    assert f"/console/audit/events/{event.pk}/proof/" in page
    assert 'data-testid="audit-key"' in page


def test_the_proof_document_is_the_apis_and_verifies_outside(auditor_client, world):
    sequence_events()
    event = first_event()
    mine = auditor_client.get(f"/console/audit/events/{event.pk}/proof/").json()
    assert "is leaf" in verify_proof(public_key(), mine)
    client = APIClient()
    client.force_authenticate(world.auditor)
    assert client.get(f"/api/v1/audit/events/{event.pk}/proof/").json() == json.loads(json.dumps(mine))


def test_an_event_not_yet_in_a_head_is_409_with_the_apis_code(auditor_client, world):
    event = AuditEvent.objects.order_by("-id")[0]
    response = auditor_client.get(f"/console/audit/events/{event.pk}/proof/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_sequenced"


def test_a_missing_event_is_404(auditor_client):
    assert auditor_client.get("/console/audit/events/999999/").status_code == 404
