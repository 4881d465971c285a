"""A slow push partner does not hold up a fast one, with real workers on the real broker.

Two push partners, one whose webhook replies at once and one that takes 2 s, and two Celery
workers as production runs them: one of the default queue (`-Q celery`, two threads) and one
of `push_slow` (eight threads). With the slow partner on the default queue, its calls take
both threads and the fast partner's pushes wait on the broker for seconds; moved to
`push_slow` (`partner_set_push_queue`), they wait for nobody: the fast partner's relayed ->
picked-up time stays far under the slow partner's 2 s answer.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.actors import SystemActor
from exchange.models import Query
from exchange.services import queries
from partners.choices import PushQueue
from partners.services import registry
from tests import factories
from tests.integration.conftest import WorkerProcess, wait_for

pytestmark = pytest.mark.integration
SLOW_SECONDS = 2.0
SLOW_QUERIES = 6  # 12 s of webhook time: 6 s of both default threads when they share the queue
FAST_QUERIES = 6
SYSTEM = SystemActor("test")


class Webhook(ThreadingHTTPServer):
    """A push partner's webhook on the loopback: 202 (it answers later) after `delay` seconds."""

    daemon_threads = True

    def __init__(self, delay: float) -> None:
        self.delay = delay

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(delay)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/afx/webhook"


@pytest.fixture
def webhooks() -> Iterator[dict[str, Webhook]]:
    served = {"fast": Webhook(0.0), "slow": Webhook(SLOW_SECONDS)}
    yield served
    for webhook in served.values():
        webhook.shutdown()
        webhook.server_close()


@pytest.fixture
def workers(postgres: None) -> Iterator[None]:
    default = WorkerProcess("afx-default", "-Q", "celery")
    slow = WorkerProcess("afx-slow", "-Q", "push_slow", "-c", "8")
    try:
        default.wait_ready()
        slow.wait_ready()
        yield
    finally:
        for worker in (default, slow):
            if worker.process.running():
                worker.stop()


def ask(world: Any, partner: str, order_number: str) -> str:
    query = queries.query_submit(
        actor=world.officer_a,
        submission=queries.Submission(
            case_id=world.case_a.pk,
            kind="order_lookup",
            partner=partner,
            input={"order_number": order_number},
        ),
    )
    return str(query.pk)


def delivered(ids: list[str], timeout: float) -> list[Query]:
    """Once every query's webhook replied: the queries with their outbox rows."""
    wait_for(
        lambda: Query.objects.filter(pk__in=ids, delivered_at__isnull=False).count() == len(ids), timeout
    )
    return list(Query.objects.filter(pk__in=ids).select_related("outbox"))


def between(start: datetime | None, end: datetime | None) -> float:
    """Seconds from one recorded moment to another."""
    assert start is not None and end is not None
    return (end - start).total_seconds()


def waits_ms(found: list[Query]) -> list[float]:
    """Relayed to Celery -> picked up by a worker, per query, in ms."""
    return sorted(between(q.outbox.relayed_at, q.dispatched_at) * 1000 for q in found)


def p95(values: list[float]) -> float:
    return values[min(len(values) - 1, int(0.95 * len(values)))]


def burst(world: Any, round_name: str) -> tuple[list[float], list[Query]]:
    """The slow partner asked `SLOW_QUERIES` times, then the fast one `FAST_QUERIES` times, 0.1 s apart."""
    slow = [ask(world, "slowpay", f"SL{round_name}{i:08d}") for i in range(SLOW_QUERIES)]
    fast = []
    for i in range(FAST_QUERIES):
        fast.append(ask(world, "fastpay", f"FA{round_name}{i:08d}"))
        time.sleep(0.1)
    fast_found = delivered(fast, timeout=30)
    return waits_ms(fast_found), delivered(slow, timeout=30)


def test_a_slow_partner_on_its_own_queue_does_not_delay_a_fast_one(world, webhooks, workers):
    for code, webhook in (("fastpay", webhooks["fast"]), ("slowpay", webhooks["slow"])):
        partner = factories.answering_partner(code, delivery="push", webhook_url=webhook.url)
        factories.grant(world.unit_a, partner, days=1)
        factories.adapter_key(partner)

    shared, _ = burst(world, "S")  # before: both partners on the default queue
    registry.partner_set_push_queue(actor=SYSTEM, code="slowpay", queue=PushQueue.SLOW)
    own, slow = burst(world, "O")

    slow_calls = [between(q.dispatched_at, q.delivered_at) for q in slow]
    figures = {
        "fast_relayed_to_picked_up_ms": {
            "same_queue": {"p50": round(statistics.median(shared)), "p95": round(p95(shared))},
            "own_queue": {"p50": round(statistics.median(own)), "p95": round(p95(own))},
        },
        "slow_webhook_s_min": round(min(slow_calls), 2),
    }
    print(json.dumps({"push_queues": figures}))  # noqa: T201 - the figures, for the record
    assert min(slow_calls) >= SLOW_SECONDS  # the slow partner was slow, and still served
    assert p95(shared) > 1000, figures  # sharing a queue, the fast partner waits behind it
    assert p95(own) < SLOW_SECONDS * 1000 / 4, figures  # on its own queue, it waits for nobody
