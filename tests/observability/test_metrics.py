"""AFX's own metrics: the round trip where an answer commits, the signature refusals where
they are refused, and the database gauges as the rows say."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from afx_sdk import signing
from audit.models import UnsequencedEvent
from audit.sequencer import sequence_events
from exchange.delivery.expiry import expire_overdue_queries
from exchange.delivery.outbox import outbox_enqueue
from exchange.models import OutboxMessage, Query
from observability.collectors import DATABASE_COLLECTOR
from tests import factories
from tests.clients import signed_world_client

ME = "/api/v1/adapter/me/"
ANSWER = {
    "status": "answered",
    "result": {"bank": "Bank", "account_number": "6222020200112233", "holder_name": "H"},
}


def _gauges() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in DATABASE_COLLECTOR.collect()
        for sample in family.samples
    }


def _round_trips(partner: str, status: str = "answered") -> float:
    labels = {"partner": partner, "kind": "order_lookup", "status": status}
    return REGISTRY.get_sample_value("afx_query_round_trip_seconds_count", labels) or 0.0


def _breaches(partner: str) -> float:
    labels = {"partner": partner, "kind": "order_lookup"}
    return REGISTRY.get_sample_value("afx_query_deadline_breaches_total", labels) or 0.0


def _rejections(reason: str) -> float:
    return REGISTRY.get_sample_value("afx_signature_rejections_total", {"reason": reason}) or 0.0


def test_an_answer_is_observed_once_when_it_commits(world, django_capture_on_commit_callbacks):
    before = _round_trips("platform-x")
    client = signed_world_client(world.key_x)
    path = f"/api/v1/adapter/queries/{world.query_a.pk}/answer/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path, ANSWER, format="json").status_code == 200
    assert _round_trips("platform-x") == before + 1
    with django_capture_on_commit_callbacks(execute=True):  # the same answer again changes nothing
        assert client.post(path, ANSWER, format="json").status_code == 200
        Query.objects.get(pk=world.query_a.pk).save()  # nor does a later save of the answered row
    assert _round_trips("platform-x") == before + 1


def test_an_answer_that_does_not_commit_is_not_observed(world, django_capture_on_commit_callbacks):
    before = _round_trips("platform-x", "not_found")
    path = f"/api/v1/adapter/queries/{world.query_a.pk}/answer/"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = signed_world_client(world.key_x).post(path, {"status": "not_found"}, format="json")
    assert response.status_code == 200 and callbacks  # the observation waits for the commit
    assert _round_trips("platform-x", "not_found") == before


def test_signature_refusals_are_counted_by_reason(world):
    replayed, invalid, stale = (
        _rejections(r) for r in ("signature_replayed", "signature_invalid", "signature_stale")
    )
    headers = signing.signed_headers(
        key_id=world.key_x.key.key_id,
        private_key=signing.load_private_key(world.key_x.private_key),
        method="GET",
        url=f"http://testserver{ME}",
        body=b"",
    )
    client = APIClient()
    assert client.get(ME, headers=headers).status_code == 200
    assert client.get(ME, headers=headers).status_code == 401  # the same nonce again
    forged = {**headers, "Signature": headers["Signature"][:-6] + "AAAAA:"}
    assert client.get(ME, headers=forged).status_code == 401
    late = signed_world_client(world.key_x)
    late.clock = time.time() - 3600
    assert late.get(ME).status_code == 401
    assert _rejections("signature_replayed") == replayed + 1
    assert _rejections("signature_invalid") == invalid + 1
    assert _rejections("signature_stale") == stale + 1


def test_waiting_overdue_and_expired_queries_are_counted_per_partner(
    world, django_capture_on_commit_callbacks
):
    factories.grant(world.unit_b, world.platform_x)
    other = factories.query(world.officer_b, factories.case(world.officer_b), world.platform_x)
    gauges = _gauges()
    assert gauges[("afx_queries_waiting", (("partner", "platform-x"), ("status", "pending")))] == 2
    assert ("afx_queries_overdue", (("partner", "platform-x"),)) not in gauges
    Query.objects.filter(pk=other.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert _gauges()[("afx_queries_overdue", (("partner", "platform-x"),))] == 1
    breaches = _breaches("platform-x")
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_overdue_queries() == 1
    gauges = _gauges()
    assert gauges[("afx_queries_waiting", (("partner", "platform-x"), ("status", "pending")))] == 1
    assert ("afx_queries_overdue", (("partner", "platform-x"),)) not in gauges
    # Counted once, where the expiry committed; a later save of the expired row adds nothing.
    assert _breaches("platform-x") == breaches + 1
    with django_capture_on_commit_callbacks(execute=True):
        Query.objects.get(pk=other.pk).save()
    assert _breaches("platform-x") == breaches + 1


def test_outbox_depth_and_age_are_the_unrelayed_rows(world):
    outbox_enqueue(world.query_a)  # the test's transaction never commits, so it is not relayed
    unrelayed = OutboxMessage.objects.filter(relayed_at__isnull=True)
    unrelayed.update(created_at=timezone.now() - timedelta(minutes=5))
    outbox_enqueue(factories.query(world.officer_a, world.case_a, world.platform_x))
    gauges = _gauges()
    assert gauges[("afx_outbox_depth", ())] == 2
    assert gauges[("afx_outbox_oldest_age_seconds", ())] >= 300
    unrelayed.update(relayed_at=timezone.now())
    gauges = _gauges()
    assert (gauges[("afx_outbox_depth", ())], gauges[("afx_outbox_oldest_age_seconds", ())]) == (0, 0)


def test_the_sequencer_lag_is_the_queue_of_committed_events(world):
    waiting = UnsequencedEvent.objects.count()
    assert waiting > 0  # making the world wrote audit events
    UnsequencedEvent.objects.filter(pk=UnsequencedEvent.objects.earliest("created_at").pk).update(
        created_at=timezone.now() - timedelta(seconds=90)
    )
    gauges = _gauges()
    assert gauges[("afx_audit_unsequenced_events", ())] == waiting
    assert gauges[("afx_audit_sequencer_lag_seconds", ())] >= 90
    sequence_events()
    gauges = _gauges()
    assert (
        gauges[("afx_audit_unsequenced_events", ())],
        gauges[("afx_audit_sequencer_lag_seconds", ())],
    ) == (0, 0)


def test_labels_are_codes_kinds_and_statuses_only(world):
    allowed = {"partner", "status", "kind"}
    for family in DATABASE_COLLECTOR.collect():
        for sample in family.samples:
            assert set(sample.labels) <= allowed, sample
