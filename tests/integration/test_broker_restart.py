"""A broker restart loses no query: a query submitted while the broker is down stays in the
outbox, and once the broker is back the sweeper relays it and it is answered, once.

The test runs its own Redis on a free port, so restarting it disturbs nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from audit.models import AuditEvent
from config.celery import app
from exchange.audit_actions import ExchangeAction
from exchange.models import OutboxMessage, Query
from simulator.dataset import sample_order_numbers
from tests.integration.conftest import (
    WorkerProcess,
    ask,
    assert_answer_matches,
    free_port,
    settled,
    wait_for,
)

pytestmark = pytest.mark.integration


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server, self.cli = shutil.which("redis-server"), shutil.which("redis-cli") or ""
        assert server, "redis-server is needed for the broker restart test"
        assert self.cli, "redis-cli is needed for the broker restart test"
        self.process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: (
                subprocess.run(
                    [self.cli, "-p", str(self.port), "ping"], capture_output=True, text=True
                ).stdout.strip()
                == "PONG"
            ),
            timeout=10,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_broker() -> Iterator[PrivateRedis]:
    """Point this process's Celery app at a Redis of the test's own, and back afterwards."""
    redis = PrivateRedis()
    redis.start()
    previous = (app.conf.broker_read_url, app.conf.broker_write_url)
    _use_broker(redis.url, redis.url)
    try:
        yield redis
    finally:
        redis.stop()
        _use_broker(*previous)


def _use_broker(read_url: str | None, write_url: str | None) -> None:
    # Celery reads `broker_read_url`/`broker_write_url` before `broker_url`, and pools its
    # connections per broker: set both and drop the pools.
    app.conf.update(broker_read_url=read_url, broker_write_url=write_url)
    app._pool = None
    app.amqp._producer_pool = None


def test_query_submitted_while_the_broker_is_down_is_answered_after_restart(
    world,
    platforms,
    private_broker,
    tmp_path,
):
    worker = WorkerProcess("afx-beat", "-B", "-s", str(tmp_path / "beat"), broker=private_broker.url)
    platforms.push_simulator()
    try:
        worker.wait_ready()
        private_broker.stop()
        order = sample_order_numbers("paylink", 1)[0]
        query = ask(world, "paylink", order, deadline_seconds=120)
        outbox = OutboxMessage.objects.get(query=query)
        assert outbox.relayed_at is None  # the relay failed; the row waits in the outbox
        assert Query.objects.get(pk=query.pk).status == "pending"
        private_broker.start()
        answered = settled(query, timeout=90)
        assert_answer_matches(answered, "paylink", order)
        assert OutboxMessage.objects.get(pk=outbox.pk).relayed_at is not None
        assert (
            AuditEvent.objects.filter(action=ExchangeAction.QUERY_DISPATCHED, target_id=str(query.pk)).count()
            == 1
        )
    finally:
        worker.stop()
