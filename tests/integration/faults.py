"""What the fault tests share: a PostgreSQL cluster of their own to restart, a load of lookups
in flight, the checks that nothing was lost or answered twice, and the measured figures.

Each fault test puts `LOAD` lookups in flight, injects its fault, and then asserts the same
things: every query reached exactly one final state with one audit event for it, the audit
log sequences and verifies whole, and the stack came back within a lookup's default deadline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from audit.sequencer import sequence_events
from audit.verification import verify_log
from demo.processes import free_port
from exchange.audit_actions import ExchangeAction
from exchange.kinds.order_lookup import OrderLookup
from exchange.models import Query
from tests.integration.conftest import ROOT, ask, wait_for

# A lookup's default deadline: recovering later than this would have expired the lookups in flight.
LOOKUP_DEADLINE_SECONDS = OrderLookup.default_deadline.total_seconds()
# The lookups' own deadline in these tests: long enough that a slow recovery shows as a figure
# above LOOKUP_DEADLINE_SECONDS (and a failed assertion), not as lookups expiring.
TEST_DEADLINE_SECONDS = 90
OPEN = ("pending", "dispatched")
# The workers log as production does, JSON lines: the text format's rich tracebacks (with
# locals) take seconds each to render on a busy machine, and every logged error of a fault
# would hold the worker's logging lock that long (measured: 4.4 s one, against 10 ms plain).
PRODUCTION_LOGS = {"AFX_LOG_FORMAT": "json"}
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def submit(world: Any, partner: str, orders: Sequence[str]) -> list[Query]:
    return [ask(world, partner, order, deadline_seconds=TEST_DEADLINE_SECONDS) for order in orders]


def all_settled(ids: Sequence[object], timeout: float) -> list[Query]:
    """Every query out of pending/dispatched, polled; fails after `timeout` naming how many were open."""

    def done() -> list[Query] | None:
        closed = list(Query.objects.filter(pk__in=ids).exclude(status__in=OPEN))
        return closed if len(closed) == len(ids) else None

    try:
        return wait_for(done, timeout=timeout, interval=0.25)
    except Exception as error:
        still = Query.objects.filter(pk__in=ids, status__in=OPEN).count()
        raise AssertionError(f"{still} of {len(ids)} queries still open after {timeout} s") from error


def assert_each_settled_once(queries: Sequence[Query], status: str, action: str) -> None:
    """Each query in `status` with exactly one `action` event and none of the other final ones."""
    assert [q.status for q in queries if q.status != status] == [], "a query ended otherwise"
    finals = {ExchangeAction.QUERY_ANSWERED, ExchangeAction.QUERY_FAILED, ExchangeAction.QUERY_EXPIRED}
    events = AuditEvent.objects.filter(target_id__in=[str(q.pk) for q in queries], action__in=finals)
    counts: dict[tuple[str, str], int] = {}
    for target, event_action in events.values_list("target_id", "action"):
        counts[(target, event_action)] = counts.get((target, event_action), 0) + 1
    assert counts == {(str(q.pk), action): 1 for q in queries}, "a final event is missing or doubled"
    dispatched = set(
        AuditEvent.objects.filter(
            target_id__in=[str(q.pk) for q in queries], action=ExchangeAction.QUERY_DISPATCHED
        ).values_list("target_id", flat=True)
    )
    assert dispatched == {str(q.pk) for q in queries}, "a dispatch went unrecorded"


def assert_audit_log_whole() -> int:
    """Sequence what is queued and verify the whole log: every event a leaf, no fault; the leaves."""
    while sequence_events():
        pass
    report = verify_log()
    assert report.ok, report.faults
    assert report.leaves == AuditEvent.objects.count(), "an event was not sequenced"
    return report.leaves


@dataclass(frozen=True)
class Recovery:
    """After a fault: how many queries were answered after the server was up again, the last
    of them how long after, how many were delivered more than once, the audit log's leaves."""

    answered_after_back: int
    last_answered_after_back_s: float
    redelivered: int
    audit_leaves: int


def answered_once_after(finished: Sequence[Query], back_at: datetime) -> Recovery:
    """Each query answered exactly once and the audit log whole; the recovery since `back_at`."""
    assert_each_settled_once(finished, "answered", ExchangeAction.QUERY_ANSWERED)
    leaves = assert_audit_log_whole()
    late = [seconds(q.answered_at, back_at) for q in finished if q.answered_at and q.answered_at > back_at]
    return Recovery(
        answered_after_back=len(late),
        last_answered_after_back_s=max(late, default=0.0),
        redelivered=sum(1 for q in finished if q.delivery_attempts > 1),
        audit_leaves=leaves,
    )


def seconds(later: datetime | None, earlier: datetime) -> float:
    assert later is not None, "the moment measured never came"
    return round((later - earlier).total_seconds(), 2)


def report(name: str, **figures: object) -> None:
    """One JSON line of a fault's figures: printed (shown with -s) and kept in var/."""
    broker = settings.CELERY_BROKER_URL.split(":", 1)[0]
    line = json.dumps({"fault": name, "broker": broker, **figures})
    print(line)  # noqa: T201 - the measured times, for the record
    with (ROOT / "var" / "fault-figures.jsonl").open("a") as record:
        record.write(line + "\n")


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own on a free port, so restarting it disturbs no one.

    `initdb` refuses to run as root: as root, the cluster belongs to the `postgres` user.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="afx-faults-pg-"))
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.home, "postgres", "postgres")
        self.data = self.home / "data"

    def _run(self, *command: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{command[0]} failed: {done.stdout}{done.stderr}"

    def create(self, database: str) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.home / "log"),
            "-o",
            options,
            "-w",
            "start",
        )
        self._run(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database
        )

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, as a package upgrade or failover does."""
        # With its log named again: otherwise the new server writes to, and holds open, our pipe.
        log = str(self.home / "log")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", log, "-m", "fast", "-w", "restart")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.home, ignore_errors=True)

    def copy_from(self, source: dict[str, Any], database: str) -> None:
        """The test database as it is now (schema, the world's rows) into `database` here."""
        host, port = source["HOST"] or "127.0.0.1", str(source["PORT"] or 5432)
        dump = subprocess.run(
            [
                str(PG_BIN / "pg_dump"),
                "-h",
                host,
                "-p",
                port,
                "-U",
                source["USER"],
                "--no-owner",
                "--no-privileges",
                source["NAME"],
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )
        load = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                database,
            ],
            input=dump.stdout,
            capture_output=True,
            timeout=120,
        )
        assert load.returncode == 0, load.stderr.decode(errors="replace")[-2000:]


@contextmanager
def database_at(host: str, port: int, name: str) -> Iterator[None]:
    """This process's connections (every thread's share the settings dict) on another database,
    and back afterwards, so the test database's flush at teardown runs where it should."""
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "NAME")}
    connection.close()
    connection.settings_dict.update(HOST=host, PORT=port, NAME=name)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
