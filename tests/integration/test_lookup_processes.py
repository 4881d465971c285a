"""Order lookups across real processes: PostgreSQL, the broker, Celery workers, simulated
platforms over HTTP. Faults: a worker killed mid-dispatch, a platform down for a while."""

from __future__ import annotations

import pytest
from django.utils import timezone

from exchange.models import Query
from simulator.dataset import sample_order_numbers
from tests.integration.conftest import (
    WorkerProcess,
    ask,
    assert_answer_matches,
    settled,
    wait_for,
)

pytestmark = pytest.mark.integration


def test_push_lookup_answered_through_worker_and_webhook(world, platforms, celery_worker):
    platforms.push_simulator()
    order = sample_order_numbers("paylink", 1)[0]
    query = settled(ask(world, "paylink", order))
    assert_answer_matches(query, "paylink", order)
    unknown = settled(ask(world, "paylink", "PL20250101000000000"))
    assert unknown.status == "not_found"


def test_pull_lookup_answered_by_polling_adapter(world, platforms, live_server):
    platforms.pull_simulator(live_server.url)
    orders = sample_order_numbers("swiftpay", 5)
    asked = [ask(world, "swiftpay", order) for order in orders]
    for query, order in zip(asked, orders, strict=True):
        assert_answer_matches(settled(query), "swiftpay", order)


def test_worker_killed_mid_dispatch_loses_nothing_and_answers_once(world, platforms, celery_worker):
    platforms.push_simulator("--latency-ms", "3000")
    order = sample_order_numbers("paylink", 1)[0]
    query = ask(world, "paylink", order, deadline_seconds=180)
    wait_for(lambda: Query.objects.get(pk=query.pk).delivery_attempts >= 1)
    celery_worker.kill()  # SIGKILL while the webhook call is in flight
    assert Query.objects.get(pk=query.pk).status == "dispatched"
    replacement = WorkerProcess("afx-replacement")
    try:
        replacement.wait_ready()
        assert_answer_matches(settled(query, timeout=120), "paylink", order)
    finally:
        replacement.stop()
    assert Query.objects.get(pk=query.pk).delivery_attempts >= 2


def test_push_platform_down_then_back_is_retried_until_answered(world, platforms, celery_worker):
    platforms.push_simulator("--down-for", "20")
    order = sample_order_numbers("paylink", 1)[0]
    query = settled(ask(world, "paylink", order, deadline_seconds=120), timeout=110)
    assert_answer_matches(query, "paylink", order)
    assert query.delivery_attempts >= 3


def test_pull_adapter_down_for_a_minute_loses_no_query(world, platforms, live_server):
    platforms.pull_simulator(live_server.url, "--down-for", "60")
    orders = sample_order_numbers("swiftpay", 3)
    asked = [ask(world, "swiftpay", order, deadline_seconds=150) for order in orders]
    for query in asked:
        assert Query.objects.get(pk=query.pk).status == "pending"
    for query, order in zip(asked, orders, strict=True):
        assert_answer_matches(settled(query, timeout=140), "swiftpay", order)


def test_unanswered_query_expires_with_a_reason(world, platforms, celery_worker):
    query = ask(world, "paylink", sample_order_numbers("paylink", 1)[0], deadline_seconds=5)
    from exchange.tasks import expire_overdue_queries

    wait_for(lambda: Query.objects.get(pk=query.pk).deadline < timezone.now(), timeout=10)
    expire_overdue_queries.delay()
    expired = settled(query, timeout=30)
    assert expired.status == "expired"
    assert expired.reason in {"webhook_unreachable", "no_answer_before_deadline"}
