"""Real processes for the integration suite: Celery workers on the configured broker,
against the same PostgreSQL test database the tests write to.

The suite runs in CI with `DATABASE_URL` on PostgreSQL and `CELERY_BROKER_URL` on Redis or
RabbitMQ; a test here that finds SQLite or the file broker fails instead of skipping.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from afx_sdk import signing
from audit.models import AuditEvent
from demo.processes import NotReady, Process, free_port, start, wait_until
from exchange.audit_actions import ExchangeAction
from exchange.models import Query
from exchange.push_key import push_signing_key
from exchange.services import queries
from partners.choices import Delivery
from simulator.dataset import expected_answer
from tests import factories
from tests.factories import HeldKey

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgres(transactional_db: None) -> None:
    """Committed data on PostgreSQL, visible to other processes."""
    assert connection.vendor == "postgresql", "integration tests need DATABASE_URL on PostgreSQL"


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _ready(process: Process, predicate: Callable[[], bool], timeout: float, tail: int) -> None:
    """Until `predicate()` holds while the process runs; a failure shows the end of its log."""
    try:
        wait_until(predicate, timeout=timeout, watch=[process], what=f"{process.name} was ready")
    except NotReady as error:
        raise AssertionError(f"{error}:\n{process.output()[-tail:]}") from error


class WorkerProcess:
    """A `celery worker` child process; `stop()` ends it, `kill()` ends it the hard way."""

    def __init__(
        self, name: str, *extra: str, broker: str | None = None, environment: dict[str, str] | None = None
    ) -> None:
        broker = broker or settings.CELERY_BROKER_URL
        assert broker.startswith(("redis://", "amqp://")), "integration tests need a real broker"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_BROKER_URL": broker,
            **(environment or {}),
        }
        self.name = name
        self.process = start(
            f"worker {name}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-n",
                f"{name}@%h",
                "--pool",
                "threads",
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
                *extra,
            ],
            log=ROOT / "var" / f"worker-{name}.log",
            env=env,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the worker logs that it is connected and consuming (`<name>@<host> ready.`)."""

        def ready() -> bool:
            log = self.process.output()
            return f"{self.name}@" in log and " ready." in log

        _ready(self.process, ready, timeout, tail=3000)

    def stop(self) -> None:
        self.process.stop(timeout=30)

    def kill(self) -> None:
        self.process.kill(timeout=30)


@pytest.fixture
def celery_worker(postgres: None) -> Iterator[WorkerProcess]:
    worker = WorkerProcess("afx-test")
    try:
        worker.wait_ready()
        yield worker
    finally:
        if worker.process.running():
            worker.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.1) -> Any:
    """Poll until `predicate()` is truthy; returns its value or fails after `timeout` seconds."""
    return wait_until(predicate, timeout=timeout, interval=interval)


class SimulatorProcess:
    """`python -m simulator` as its own process: a simulated platform over real HTTP."""

    def __init__(self, partner: str, mode: str, keys: dict[str, str], *args: str) -> None:
        self.process = start(
            f"simulator {partner} ({mode})",
            [sys.executable, "-m", "simulator", "--partner", partner, "--mode", mode, *args],
            log=ROOT / "var" / f"simulator-{partner}-{mode}.log",
            env={**os.environ, **keys},
        )
        _ready(self.process, lambda: "simulator" in self.process.output(), timeout=20, tail=2000)

    def answered(self, query_id: str) -> int:
        """How many times the platform answered this query (redeliveries answer again)."""
        return sum(1 for line in self.process.output().splitlines() if line.startswith(query_id))

    def stop(self) -> None:
        self.process.stop(timeout=20)


@dataclass
class Platforms:
    """PayLink (push) and SwiftPay (pull) registered with keys; their simulators, once started
    by a test, are stopped when it ends."""

    push_port: int
    paylink: HeldKey
    swiftpay: HeldKey
    started: list[SimulatorProcess] = field(default_factory=list)

    def push_simulator(self, *faults: str) -> SimulatorProcess:
        return self._start("paylink", "push", self.paylink, "--port", str(self.push_port), *faults)

    def pull_simulator(self, gateway_url: str, *faults: str) -> SimulatorProcess:
        return self._start("swiftpay", "pull", self.swiftpay, "--gateway", gateway_url, *faults)

    def _start(self, partner: str, mode: str, key: HeldKey, *args: str) -> SimulatorProcess:
        if mode == "push":  # verifies the gateway's signatures: its public key only
            keys = {"AFX_GATEWAY_PUBLIC_KEY": signing.public_key_text(push_signing_key())}
        else:
            keys = {"AFX_KEY_ID": key.key.key_id, "AFX_PRIVATE_KEY": key.private_key}
        simulator = SimulatorProcess(partner, mode, keys, *args)
        self.started.append(simulator)
        return simulator


@pytest.fixture
def platforms(world: Any, postgres: None) -> Iterator[Platforms]:
    port = free_port()
    made = {}
    for code, delivery, url in (
        ("paylink", Delivery.PUSH, f"http://127.0.0.1:{port}/afx/webhook"),
        ("swiftpay", Delivery.PULL, ""),
    ):
        partner = factories.answering_partner(code, delivery=delivery, webhook_url=url)
        factories.grant(world.unit_a, partner, days=1)
        made[code] = factories.adapter_key(partner)
    registered = Platforms(push_port=port, paylink=made["paylink"], swiftpay=made["swiftpay"])
    yield registered
    for simulator in registered.started:
        simulator.stop()


def ask(world: Any, partner: str, order_number: str, deadline_seconds: int | None = None) -> Query:
    return queries.query_submit(
        actor=world.officer_a,
        submission=queries.Submission(
            case_id=world.case_a.pk,
            kind="order_lookup",
            partner=partner,
            input={"order_number": order_number},
            deadline_seconds=deadline_seconds,
        ),
    )


def settled(query: Query, timeout: float = 30) -> Query:
    return wait_for(
        lambda: Query.objects.exclude(status__in=["pending", "dispatched"]).filter(pk=query.pk).first(),
        timeout=timeout,
    )


def assert_answer_matches(query: Query, partner: str, order_number: str) -> None:
    expected = expected_answer(partner, order_number)
    assert query.status == "answered"
    assert expected.result is not None
    answer = query.answer_document()
    assert answer is not None
    assert answer["account_number"] == expected.result.account_number
    assert answer["holder_name"] == expected.result.holder_name
    assert (
        AuditEvent.objects.filter(action=ExchangeAction.QUERY_ANSWERED, target_id=str(query.pk)).count() == 1
    )
