"""The auditors' API: who may call it, and that what it returns can be found, proven and exported."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.canonical import record_leaf_hash
from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent, SequencedLeaf, SignedTreeHead
from audit.sequencer import sequence_batch
from audit.verify_export import verify_export, verify_heads, verify_proof
from exchange.audit_actions import ExchangeAction
from tests.audit.conftest import TEST_PUBLIC_KEY, publish
from tests.audit.matrix import ROWS
from tests.permission_matrix import IDENTITIES, Row, call

pytestmark = pytest.mark.urls("tests.audit.urls")


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_status_for_identity(world, row: Row, identity: str) -> None:
    response = call(world, row, identity)
    assert response.status_code == row.expected[identity], (identity, row.id, response.content[:300])
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.fixture
def auditor(world):
    """The auditor's client, with the world's own events already in the tree (head 1)."""
    sequence_batch()
    return world.client("auditor")


def _base_size() -> int:
    return SignedTreeHead.objects.get(number=1).tree_size


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


def test_events_are_filtered(world, auditor, record):
    hit = record(
        actor=world.officer_a,
        action=ExchangeAction.CASE_VIEWED,
        case_id="case-7",
        target_type="t",
        target_id="1",
    )
    record(actor=world.officer_a, action=ExchangeAction.QUERY_ANSWERED, case_id="case-7")
    record(actor=world.officer_a, action=ExchangeAction.CASE_VIEWED, case_id="case-8")
    record(actor=world.officer_b, action=ExchangeAction.CASE_VIEWED, case_id="case-7")
    queries = [
        {"actor": "person:officer-a", "action": "case_viewed", "case": "case-7"},
        {"partner": "unit-a", "case": "case-7", "action": "case_viewed"},
        {"target_type": "t", "target_id": "1"},
        {
            "actor": "person:officer-a",
            "since": hit.created_at.isoformat(),
            "case": "case-7",
            "action": "case_viewed",
        },
    ]
    for query in queries:
        found = [event["id"] for event in _results(auditor.get("/api/v1/audit/events/", query))]
        assert found == [hit.id], query


def test_events_filter_by_outcome_and_time_window(auditor, record):
    denied = record(outcome=Outcome.DENIED, action=AuditAction.REQUEST_DENIED)
    later = denied.created_at + timedelta(microseconds=1)
    assert [e["id"] for e in _results(auditor.get("/api/v1/audit/events/", {"outcome": "denied"}))] == [
        denied.id
    ]
    assert _results(auditor.get("/api/v1/audit/events/", {"until": denied.created_at.isoformat()})) != []
    assert _results(auditor.get("/api/v1/audit/events/", {"since": later.isoformat()})) == []


def test_events_are_cursor_paginated_newest_first(auditor, events):
    made = events(5)
    first = auditor.get("/api/v1/audit/events/", {"target_type": "tests.thing", "page_size": 2}).json()
    second = auditor.get(first["next"]).json()
    ids = [event["id"] for event in first["results"] + second["results"]]
    assert ids == [event.id for event in reversed(made)][:4]


def test_a_bad_filter_is_refused(auditor):
    response = auditor.get("/api/v1/audit/events/", {"action": "no-such-action", "since": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"action", "since"}


def test_event_detail_shows_the_leaf_index_once_sequenced(auditor, record):
    event = record()
    assert auditor.get(f"/api/v1/audit/events/{event.id}/").json()["leaf_index"] is None
    sequence_batch()
    leaf = SequencedLeaf.objects.get(event=event).leaf_index
    assert auditor.get(f"/api/v1/audit/events/{event.id}/").json()["leaf_index"] == leaf


def test_listing_costs_the_same_queries_for_many_events(auditor, events, django_assert_max_num_queries):
    events(30)
    sequence_batch()
    with django_assert_max_num_queries(8):
        assert len(_results(auditor.get("/api/v1/audit/events/", {"page_size": 30}))) == 30


def test_inclusion_proof_verifies_with_the_outside_verifier(auditor, events):
    made = events(7)
    sequence_batch()
    events(4)
    sequence_batch()
    for event in (made[0], made[6]):
        document = auditor.get(f"/api/v1/audit/events/{event.id}/proof/").json()
        assert document["head"]["tree_size"] >= 11
        assert "is leaf" in verify_proof(TEST_PUBLIC_KEY, document)


def test_inclusion_proof_against_an_older_head(auditor, events):
    made = events(3)
    first_head = publish()
    events(2)
    sequence_batch()
    document = auditor.get(
        f"/api/v1/audit/events/{made[1].id}/proof/", {"tree_size": first_head.tree_size}
    ).json()
    assert document["head"]["number"] == first_head.number
    verify_proof(TEST_PUBLIC_KEY, document)


def test_a_tampered_proof_fails_the_outside_verifier(auditor, events):
    from audit.verify_export import VerificationFailed

    made = events(4)
    sequence_batch()
    document = auditor.get(f"/api/v1/audit/events/{made[2].id}/proof/").json()
    document["leaf_bytes"] = document["leaf_bytes"].replace("tests.thing", "tests.other")
    with pytest.raises(VerificationFailed):
        verify_proof(TEST_PUBLIC_KEY, document)


def test_proof_of_an_unsequenced_event_is_a_conflict(auditor, events):
    made = events(2)
    sequence_batch()
    later = events(1)[0]
    assert auditor.get(f"/api/v1/audit/events/{later.id}/proof/").json()["error"]["code"] == "not_sequenced"
    response = auditor.get(f"/api/v1/audit/events/{made[0].id}/proof/", {"tree_size": _base_size()})
    assert response.json()["error"]["code"] == "not_in_head"
    response = auditor.get(f"/api/v1/audit/events/{made[0].id}/proof/", {"tree_size": 1})
    assert response.status_code == 404


def test_heads_are_listed_newest_first(auditor, events):
    events(2)
    sequence_batch()
    events(1)
    sequence_batch()
    heads = _results(auditor.get("/api/v1/audit/heads/"))
    base = _base_size()
    assert [(h["number"], h["tree_size"]) for h in heads] == [(3, base + 3), (2, base + 2), (1, base)]
    assert set(heads[0]) >= {"root_hash", "signature", "link_signature", "timestamp_ms", "key_id", "format"}


def test_consistency_proof_verifies_with_the_outside_verifier(auditor, events):
    sizes = []
    for size in (3, 5, 1):
        events(size)
        sizes.append(publish().tree_size)
    document = auditor.get("/api/v1/audit/heads/consistency/", {"from": sizes[0], "to": sizes[2]}).json()
    assert (
        verify_proof(TEST_PUBLIC_KEY, document)
        == f"the head of {sizes[2]} leaves extends the head of {sizes[0]}"
    )
    latest = auditor.get("/api/v1/audit/heads/consistency/", {"from": sizes[1]}).json()
    assert latest["to"]["tree_size"] == sizes[2]
    verify_proof(TEST_PUBLIC_KEY, latest)


def test_consistency_backwards_is_refused(auditor, events):
    events(2)
    newer = publish()
    response = auditor.get("/api/v1/audit/heads/consistency/", {"from": newer.tree_size, "to": _base_size()})
    assert response.status_code == 400


def test_heads_export_verifies_with_only_the_public_key(auditor, events):
    for size in (1, 2, 5, 3):
        events(size)
        sequence_batch()
    response = auditor.get("/api/v1/audit/heads/export/")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    heads = verify_heads(TEST_PUBLIC_KEY, lines)
    base = _base_size()
    assert [head.tree_size - base for head in heads] == [0, 1, 3, 8, 11]


def test_heads_export_follows_a_rotation_from_the_first_key(auditor, events, settings):
    """After `audit_rotate_signing_key` and the deploy that makes the new key current."""
    new_seed = base64.b64encode(bytes(range(1, 33))).decode()
    settings.AFX_AUDIT_SIGNING_KEY_NEXT = new_seed
    call_command("audit_rotate_signing_key")
    settings.AFX_AUDIT_SIGNING_KEY, settings.AFX_AUDIT_SIGNING_KEY_NEXT = new_seed, ""
    events(2)
    sequence_batch()
    response = auditor.get("/api/v1/audit/heads/export/")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    heads, history = verify_export(TEST_PUBLIC_KEY, lines)
    assert len(heads) == 2 and len(history.changes) == 1
    assert lines[2]["key_id"] == lines[0]["key_changes"][0]["key_id"] != lines[1]["key_id"]


def _streamed(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content).decode()


def test_jsonl_export_streams_events_that_rehash_to_their_leaves(world, auditor, events):
    made = events(3)
    sequence_batch()
    response = auditor.get("/api/v1/audit/export/", {"format": "jsonl", "target_type": "tests.thing"})
    assert response["Content-Type"] == "application/jsonl"
    records = [json.loads(line) for line in _streamed(response).splitlines()]
    assert [record["id"] for record in records] == [event.id for event in made]
    for record in records:
        stored = SequencedLeaf.objects.get(leaf_index=record["leaf_index"]).leaf_hash
        assert record_leaf_hash(record) == bytes(stored)


def test_csv_export_streams_and_neutralises_formulas(auditor, record):
    record(target_type="tests.thing", target_id="=HYPERLINK(1)", details={"note": "ok"})
    response = auditor.get("/api/v1/audit/export/", {"format": "csv", "target_type": "tests.thing"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_streamed(response))))
    assert len(rows) == 1
    assert rows[0]["target_id"] == "'=HYPERLINK(1)"
    assert json.loads(rows[0]["details"]) == {"note": "ok"}


def test_export_is_itself_audited(world, auditor):
    _streamed(auditor.get("/api/v1/audit/export/", {"format": "jsonl", "action": "sign_in"}))
    exported = AuditEvent.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert exported.actor_id == "person:auditor"
    assert exported.details == {"format": "jsonl", "filters": {"action": "sign_in"}}


def test_export_refuses_an_unknown_format_in_json(auditor):
    response = auditor.get("/api/v1/audit/export/", {"format": "xml"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"format": ["Not one of the allowed values."]}


def test_anomalies_list_findings_with_their_events(world, auditor, record):
    burst = [
        record(actor=world.officer_b, action=AuditAction.REQUEST_DENIED, outcome=Outcome.DENIED)
        for _ in range(10)
    ]
    page = auditor.get("/api/v1/audit/anomalies/").json()
    (finding,) = [f for f in page["results"] if f["kind"] == "denied_burst"]
    assert finding["actor_id"] == "person:officer-b"
    assert finding["event_count"] == 10
    assert [event["id"] for event in finding["events"]] == [event.id for event in burst]


def test_anomalies_are_cursor_paginated(world, auditor, record, settings):
    # Round the clock, so that the three bursts are the only findings whenever the test runs.
    settings.AFX_AUDIT_ANOMALIES = {"working_hours": {"default": ("00:00", "23:59:59.999999")}}
    for officer in (world.officer_a, world.officer_b, world.supervisor_a):
        for _ in range(10):
            record(actor=officer, action=AuditAction.REQUEST_DENIED, outcome=Outcome.DENIED)
    first = auditor.get("/api/v1/audit/anomalies/", {"page_size": 2}).json()
    second = auditor.get(first["next"]).json()
    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
    assert second["next"] is None


def test_anomaly_window_is_bounded(auditor):
    now = timezone.now()
    response = auditor.get(
        "/api/v1/audit/anomalies/", {"since": (now - timedelta(days=8)).isoformat(), "until": now.isoformat()}
    )
    assert response.status_code == 400


def test_export_honours_the_time_window(auditor, events):
    made = events(3)
    since = made[1].created_at.isoformat()
    response = auditor.get(
        "/api/v1/audit/export/", {"format": "jsonl", "target_type": "tests.thing", "since": since}
    )
    assert [json.loads(line)["id"] for line in _streamed(response).splitlines()] == [made[1].id, made[2].id]


def test_only_readers_may_export(world):
    from audit.selectors import EventFilters
    from audit.services import events_export
    from core.errors import Forbidden

    with pytest.raises(Forbidden):
        events_export(actor=world.officer_a, filters=EventFilters(), export_format="csv")
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()


@pytest.mark.parametrize(
    "path", ["/api/v1/audit/events/", "/api/v1/audit/export/", "/api/v1/audit/anomalies/"]
)
@pytest.mark.parametrize("name", ["since", "until"])
def test_a_time_bound_that_is_given_empty_is_a_400(auditor, path, name):
    response = auditor.get(path, {name: ""})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {name: ["May not be empty."]}


def test_every_filter_that_is_given_empty_is_a_400(auditor):
    response = auditor.get("/api/v1/audit/events/", {"actor": "", "case": "", "outcome": ""})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"actor", "case", "outcome"}


def test_anomaly_windows_at_the_edges_of_the_calendar(auditor):
    early = auditor.get("/api/v1/audit/anomalies/", {"until": "0001-01-01T00:00:00Z"})
    assert early.status_code == 400 and early.json()["error"]["fields"] == {
        "since": ["Required for a window this early."]
    }
    late = {"since": "9999-12-30T00:00:00Z", "until": "9999-12-31T00:00:00Z"}
    assert auditor.get("/api/v1/audit/anomalies/", late).json() == {
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize("page_size", ["null", "0", "501", "abc"])
def test_anomalies_refuse_an_invalid_page_size(auditor, page_size):
    response = auditor.get("/api/v1/audit/anomalies/", {"page_size": page_size})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"page_size": ["A whole number from 1 to 500."]}
