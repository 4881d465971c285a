"""`health/ready/`: the database, the broker and the sequencer, each named with its state."""

from __future__ import annotations

import time
from datetime import timedelta

from celery import current_app
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import UnsequencedEvent
from audit.sequencer import sequence_events

READY = "/api/v1/health/ready/"


def test_ready_when_every_part_is_up(world):
    sequence_events()
    response = APIClient().get(READY)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "audit_sequencer": "ok"},
        "audit_sequencer_lag_seconds": 0,
    }


def test_a_lagging_sequencer_is_not_ready_while_liveness_keeps_its_own_answer(world, settings):
    settings.AFX_AUDIT_LAG_ALERT_SECONDS = 60
    UnsequencedEvent.objects.update(created_at=timezone.now() - timedelta(seconds=120))
    response = APIClient().get(READY)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and body["audit_sequencer_lag_seconds"] >= 120
    assert body["checks"] == {"database": "ok", "broker": "ok", "audit_sequencer": "lagging"}
    assert APIClient().get("/api/v1/health/").json()["checks"] == {"database": True, "audit_sequencer": False}


def test_an_unreachable_broker_is_named_without_its_address_or_password(db, monkeypatch):
    unreachable = "redis://:hunter2-password@127.0.0.1:1/9"
    # Celery reads CELERY_BROKER_URL from the environment before its settings (as CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    monkeypatch.setattr(current_app.conf, "broker_url", unreachable)
    monkeypatch.setattr(current_app.conf, "broker_transport", None)
    started = time.monotonic()
    response = APIClient().get(READY)
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failing"
    for secret in ("hunter2", "127.0.0.1", "redis", ":1/"):
        assert secret not in response.content.decode()


def test_without_the_database_nothing_else_is_claimed(db, monkeypatch):
    monkeypatch.setattr("observability.readiness.database_ok", lambda: False)
    response = APIClient().get(READY)
    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {"database": "failing", "broker": "ok", "audit_sequencer": "failing"},
        "audit_sequencer_lag_seconds": None,
    }
