"""The auditors' heads, consistency, exports and anomaly reports in the console: each the API's
own document or selector (the outside verifier accepts what the console serves), refusals
with the API's codes, and the events export on record as the API's is."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import transaction
from django.db.models import QuerySet
from django.test import Client
from rest_framework.test import APIClient

from audit.choices import AuditAction, Outcome
from audit.merkle import verify_consistency
from audit.models import AuditEvent, SignedTreeHead
from audit.sequencer import sequence_events
from audit.services import event_record
from audit.signing import public_key
from audit.verify_export import verify_heads


def signed_twice() -> tuple[SignedTreeHead, SignedTreeHead]:
    """Two heads of different sizes: the world's events, then one event more."""
    sequence_events()
    with transaction.atomic():
        event_record(actor=None, action=AuditAction.REQUEST_DENIED, outcome=Outcome.DENIED)
    sequence_events()
    heads = list(SignedTreeHead.objects.order_by("number"))
    assert len(heads) >= 2 and heads[0].tree_size < heads[-1].tree_size
    return heads[0], heads[-1]


def streamed(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def auditor_client(world) -> Client:
    client = Client()
    client.force_login(world.auditor)
    return client


@pytest.fixture
def auditor_api(world) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.auditor)
    return client


def test_the_heads_page_lists_each_head_with_its_size_root_and_key(auditor_client):
    older, newer = signed_twice()
    page = auditor_client.get("/console/audit/heads/").content.decode()
    assert page.count('data-testid="head-row"') == SignedTreeHead.objects.count()
    for head in (older, newer):
        assert base64.b64encode(bytes(head.root_hash)).decode() in page
        assert f'<option value="{head.tree_size}"' in page
    assert newer.key_id in page
    assert 'src="/static/console/audit_crypto.js"' in page and 'src="/static/console/consistency.js"' in page


def test_the_heads_page_before_any_head_says_so(auditor_client):
    page = auditor_client.get("/console/audit/heads/").content.decode()
    assert 'data-testid="no-heads"' in page and 'id="consistency-form"' not in page


def test_the_consistency_document_is_the_apis_and_verifies(auditor_client, auditor_api):
    older, newer = signed_twice()
    query = {"from": older.tree_size, "to": newer.tree_size}
    mine = auditor_client.get("/console/audit/heads/consistency/", query).json()
    assert auditor_api.get("/api/v1/audit/heads/consistency/", query).json() == mine
    assert (mine["from"]["tree_size"], mine["to"]["tree_size"]) == (older.tree_size, newer.tree_size)
    verify_consistency(
        older.tree_size,
        newer.tree_size,
        [base64.b64decode(node) for node in mine["proof"]],
        base64.b64decode(mine["from"]["root_hash"]),
        base64.b64decode(mine["to"]["root_hash"]),
    )


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [({"from": "x"}, 400, "invalid"), ({}, 400, "invalid"), ({"from": "0"}, 400, "invalid")],
)
def test_a_bad_pair_is_a_400_in_json(auditor_client, query, status, code):
    response = auditor_client.get("/console/audit/heads/consistency/", query)
    assert response.status_code == status and response.json()["error"]["code"] == code


def test_heads_in_the_wrong_order_are_the_selectors_400(auditor_client):
    older, newer = signed_twice()
    response = auditor_client.get(
        "/console/audit/heads/consistency/", {"from": newer.tree_size, "to": older.tree_size}
    )
    assert response.status_code == 400 and "to" in response.json()["error"]["fields"]


def test_a_size_no_head_has_is_404_and_on_record(auditor_client):
    signed_twice()
    before = AuditEvent.objects.filter(outcome=Outcome.DENIED).count()
    response = auditor_client.get("/console/audit/heads/consistency/", {"from": 10**9})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() == before + 1


def test_the_heads_export_is_the_apis_and_verifies_outside(auditor_client, auditor_api):
    signed_twice()
    response = auditor_client.get("/console/audit/heads/export/")
    assert response["Content-Type"] == "application/jsonl"
    assert response["Content-Disposition"] == 'attachment; filename="afx-audit-heads.jsonl"'
    mine = streamed(response)
    assert mine == streamed(auditor_api.get("/api/v1/audit/heads/export/"))
    heads = verify_heads(public_key(), [json.loads(line) for line in mine.splitlines()])
    assert [head.tree_size for head in heads] == list(
        SignedTreeHead.objects.order_by("number").values_list("tree_size", flat=True)
    )


def exported(world) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED, actor_id=world.auditor.actor_label)


def test_the_events_export_is_the_apis_and_on_record_with_its_filters(world, auditor_client, auditor_api):
    with transaction.atomic():
        denied = event_record(actor=None, action=AuditAction.REQUEST_DENIED, outcome=Outcome.DENIED)
    query = {"format": "jsonl", "outcome": "denied"}
    response = auditor_client.get("/console/audit/export/", query)
    assert response["Content-Type"] == "application/jsonl"
    assert response["Content-Disposition"] == 'attachment; filename="afx-audit-events.jsonl"'
    mine = [json.loads(line) for line in streamed(response).splitlines()]
    assert [line["id"] for line in mine] == [denied.pk]
    (record,) = exported(world)
    assert record.details == {"format": "jsonl", "filters": {"outcome": "denied"}}
    theirs = [
        json.loads(line) for line in streamed(auditor_api.get("/api/v1/audit/export/", query)).splitlines()
    ]
    assert theirs == mine


def test_the_csv_export_has_the_apis_type(auditor_client):
    response = auditor_client.get("/console/audit/export/", {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert streamed(response).startswith("leaf_index,")


@pytest.mark.parametrize("query", [{"format": "xml"}, {"format": "csv", "since": "yesterday"}])
def test_a_bad_export_is_a_400_and_not_on_record(world, auditor_client, query):
    assert auditor_client.get("/console/audit/export/", query).status_code == 400
    assert not exported(world).exists()


def test_the_search_offers_the_export_of_its_filters(auditor_client):
    page = auditor_client.get("/console/audit/events/", {"outcome": "denied"}).content.decode()
    assert 'href="/console/audit/export/?outcome=denied&amp;format=csv"' in page
    assert 'href="/console/audit/export/?outcome=denied&amp;format=jsonl"' in page
