"""The production stack of one load configuration, and what it is measured by, for `bench_load.py`.

The world (database, partners, keys) is set up once by `bench_lookup.setup_world`; each
configuration then starts its own gateway processes (gunicorn instances, Celery worker
processes, beat) and simulated partners from `demo.processes`, and stops them at the end, so
no configuration inherits another's queues or pull adapters' back-off.

While the load runs, `Sampler` reads once a second what can saturate: the CPU of each process
group (Linux /proc, through `bench_trace`'s helpers) and the queues (open queries not yet
dispatched and unrelayed outbox rows in PostgreSQL, the Celery queue's length in Redis).
After it, `stages` reads the gateway's timestamps of each lookup to cut its round trip.
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import redis
from bench_lookup import processes
from bench_trace import TICKS, cpu_by_role, machine_ticks, wait_idle
from load_users import Lookup

from demo.processes import (
    Process,
    ProcessGroup,
    beat_command,
    simulator_command,
    wait_for_url,
    wait_until,
    worker_command,
)

FIRST_PORT = 8720
PUSH_PORTS = {"paylink": 8731, "bank-coast": 8732}
PULL = ("swiftpay", "bank-east", "bank-river")
GUNICORN_WORKERS = 2  # per instance, as bench_lookup's production stack
GUNICORN_THREADS = 8
KEEP_ALIVE_SECONDS = 5
WORKER_THREADS = 8  # per Celery worker process (a thread pool: pushes wait on HTTP)
SLOW_WORKER_THREADS = 32  # the `push_slow` worker's, as deploy/systemd/afx-worker-slow@.service
FAST_QUEUES = ("celery",)  # the default workers' (`-Q celery`): never a slow partner's pushes
SLOW_QUEUE = "push_slow"


@dataclass(frozen=True)
class Config:
    """One scale-out configuration: Celery worker processes and gunicorn instances."""

    workers: int
    instances: int
    slow_partner_ms: int = 0  # bank-coast's added latency; 0: instant like the others
    # bank-coast's pushes on `push_slow`, with a worker of that queue (`SLOW_WORKER_THREADS`);
    # otherwise they share the default queue and its workers with everyone else's.
    slow_queue: bool = False

    @property
    def ports(self) -> list[int]:
        return [FIRST_PORT + i for i in range(self.instances)]

    @property
    def hosts(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def label(self) -> str:
        slow = f", slow {self.slow_partner_ms} ms" if self.slow_partner_ms else ""
        if self.slow_queue:
            slow += f" on {SLOW_QUEUE} (+1 worker x {SLOW_WORKER_THREADS})"
        return f"{self.workers} worker(s), {self.instances} gunicorn{slow}"


def gunicorn_command(port: int) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(GUNICORN_WORKERS), "--threads", str(GUNICORN_THREADS), "-k", "gthread"]
    # Keep-alive above gunicorn's default 2 s: officers and adapters pause 1 to 3 s between
    # requests, and a connection the server closes as the client reuses it fails the request.
    command += ["--keep-alive", str(KEEP_ALIVE_SECONDS)]
    # A short graceful stop: the adapters' 25 s long polls would outlast the group's stop timeout,
    # the master be killed, and its orphaned workers hold the port the next configuration needs.
    return [*command, "--graceful-timeout", "3", "--log-level", "warning"]


@dataclass
class Stack:
    """The running processes of one configuration, by role."""

    gateway: ProcessGroup
    simulators: ProcessGroup
    roles: dict[str, list[Process]] = field(default_factory=dict)


@contextmanager
def stack(
    config: Config, env: dict[str, str], keys: dict[str, dict[str, str]], logs: Path
) -> Iterator[Stack]:
    """Start the gateway of `config` and the simulated partners; stop them all at the end."""
    gateway = [(gunicorn_command(port), env) for port in config.ports]
    gateway += [
        (worker_command(concurrency=WORKER_THREADS, name=f"load{i}", queues=FAST_QUEUES), env)
        for i in range(config.workers)
    ]
    if config.slow_queue:
        slow = worker_command(concurrency=SLOW_WORKER_THREADS, name="slow0", queues=(SLOW_QUEUE,))
        gateway.append((slow, env))
    gateway.append((beat_command(logs / f"beat-{config.workers}-{config.instances}"), env))
    ports = [*config.ports, *PUSH_PORTS.values()]
    wait_until(lambda: all(port_free(port) for port in ports), timeout=60, what="this run's ports were free")
    # The broker's database is this benchmark's alone: what the last configuration left queued
    # (a queue no worker of it served, the pushes in flight at its stop) is not this one's work.
    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    with ExitStack() as stop:
        group = stop.enter_context(processes(gateway, logs))
        for host in config.hosts:
            wait_for_url(f"{host}/api/v1/health/", timeout=90, statuses={200}, watch=group)
        partners = stop.enter_context(processes(simulators(config, keys, env), logs))
        wait_until(
            lambda: all("simulator" in process.output() for process in partners),
            timeout=90,
            watch=partners,
            what="the simulators were ready",
        )
        wait_idle(partners, timeout=90)  # the banks build their ledger when they start
        roles = {
            "gunicorn": [p for p in group if runs(p, "gunicorn")],
            "celery_workers": [p for p in group if runs(p, "worker") and not runs(p, SLOW_QUEUE)],
            "celery_slow_workers": [p for p in group if runs(p, SLOW_QUEUE)],
            "celery_beat": [p for p in group if runs(p, "beat")],
            "simulators": list(partners),
        }
        yield Stack(gateway=group, simulators=partners, roles=roles)


def port_free(port: int) -> bool:
    """Whether nothing listens on the loopback port (a previous configuration's process may)."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def runs(process: Process, word: str) -> bool:
    """Whether `word` is one of the process's arguments (the names of `processes` cut them short)."""
    args = process.popen.args
    return isinstance(args, list) and word in args


def simulators(
    config: Config, keys: dict[str, dict[str, str]], env: dict[str, str]
) -> list[tuple[list[str], dict[str, str]]]:
    """PayLink and bank-coast by push webhook, SwiftPay and two banks by long-poll; the pull
    adapters take the gateway instances in turn, as the officers do."""
    commands = []
    for index, code in enumerate(PULL):
        host = config.hosts[index % len(config.hosts)]
        commands.append((simulator_command(code, "pull", gateway=host), {**env, **keys[code]}))
    for code, port in PUSH_PORTS.items():
        command = simulator_command(code, "push", gateway=config.hosts[0], port=port)
        if code == "bank-coast" and config.slow_partner_ms:
            command += ["--latency-ms", str(config.slow_partner_ms)]
        commands.append((command, {**env, **keys[code]}))
    return commands


# Open queries waiting to leave, by delivery: a push one for the relay and a worker, a pull one
# for an adapter's free slot (the partner's side, not the gateway's).
QUEUES_SQL = """
select
  count(*) filter (where q.status = 'pending' and p.delivery = 'push'),
  count(*) filter (where q.status = 'pending' and p.delivery = 'pull'),
  count(*) filter (where q.status = 'dispatched'),
  (select count(*) from gateway_outboxmessage where relayed_at is null)
from gateway_query q join partners_partner p on p.id = q.partner_id
where q.status in ('pending', 'dispatched')
"""
QUEUES = (
    "pending_push",
    "pending_pull",
    "dispatched",
    "outbox_unrelayed",
    "broker_queue",
    "broker_queue_slow",
)


class Sampler:
    """Once a second, in a thread of its own: the queues' depths; at the end, CPU by role."""

    def __init__(self, database_url: str, broker_url: str, roles: dict[str, list[Process]]) -> None:
        self.database_url, self.roles = database_url, roles
        self.broker = redis.Redis.from_url(broker_url)
        self.samples: list[dict[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self.started = time.monotonic()
        self.cpu_before, self.machine_before, self.own_before = (
            cpu_by_role(self.roles),
            machine_ticks(),
            _own(),
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.wall = time.monotonic() - self.started
        cpu = cpu_by_role(self.roles)
        self.cores = {role: (cpu[role] - self.cpu_before[role]) / TICKS / self.wall for role in cpu}
        self.cores["load_generator"] = (_own() - self.own_before) / self.wall
        self.machine = (machine_ticks() - self.machine_before) / TICKS / self.wall
        # Other engineers' tests share the machine: what none of ours used.
        self.cores["other_processes"] = max(0.0, self.machine - sum(self.cores.values()))

    def _run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            while not self._stop.wait(1.0):
                row = connection.execute(QUEUES_SQL).fetchone()
                assert row is not None
                lengths = [int(self.broker.llen(queue)) for queue in (*FAST_QUEUES, SLOW_QUEUE)]
                self.samples.append(dict(zip(QUEUES, [*row, *lengths], strict=True)))

    def figures(self) -> dict[str, Any]:
        depth = {
            name: {
                "max": max((s[name] for s in self.samples), default=0),
                "last": self.samples[-1][name] if self.samples else 0,
            }
            for name in QUEUES
        }
        return {
            "cpu_cores": {role: round(value, 2) for role, value in sorted(self.cores.items())},
            "machine_cpu_busy": round(self.machine / (os.cpu_count() or 1), 2),
            "queue_depth": depth,
        }


def _own() -> float:
    """This process's CPU seconds: the Locust users run here."""
    times = os.times()
    return times.user + times.system


STAGES_SQL = """
select q.id::text, q.created_at, o.created_at, o.relayed_at, q.dispatched_at, q.delivered_at,
       q.answered_at, q.answer_seen_at
from gateway_query q left join gateway_outboxmessage o on o.query_id = q.id
where q.id = any(%s::uuid[])
"""

# The marks: `posted` and `seen` on the officer's clock (this machine's), the rest the gateway's
# own timestamps: accepted (`Query.created_at`), its outbox row, relayed to Celery, picked up by a
# worker (`dispatched_at`), delivered (the webhook replied, `delivered_at`), the answer stored
# (`answered_at`), seen by the officer (`answer_seen_at`, the first GET that read it closed).
PUSH_STAGES = (
    ("request_to_created", "posted", "created"),
    ("created_to_outbox_row", "created", "outbox_created"),
    ("outbox_row_to_relayed", "outbox_created", "relayed"),
    ("relayed_to_dispatched", "relayed", "dispatched"),
    ("dispatched_to_delivered", "dispatched", "delivered"),
    ("delivered_to_answered", "delivered", "answered"),
    ("answered_to_seen_at_gateway", "answered", "seen_at_gateway"),
    ("seen_at_gateway_to_officer", "seen_at_gateway", "seen"),
)
PULL_STAGES = (
    ("request_to_created", "posted", "created"),
    ("created_to_dispatched", "created", "dispatched"),
    ("dispatched_to_answered", "dispatched", "answered"),
    ("answered_to_seen_at_gateway", "answered", "seen_at_gateway"),
    ("seen_at_gateway_to_officer", "seen_at_gateway", "seen"),
)


def stages(
    database_url: str,
    lookups: list[Lookup],
    partners: tuple[tuple[str, str], ...] = (("push", "paylink"), ("pull", "swiftpay")),
) -> dict[str, Any]:
    """Each answered lookup's round trip cut at the gateway's timestamps, by delivery mode
    (`partners`: the mode's name and the partner asked): per stage p50/p95/p99 and the mean,
    the means adding up to the round trip's mean, so every millisecond is attributed to a stage."""
    answered = [lookup for lookup in lookups if lookup.status == "answered" and lookup.seen]
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(STAGES_SQL, ([lookup.id for lookup in answered],)).fetchall()
    moments = {row[0]: row[1:] for row in rows}
    result: dict[str, Any] = {}
    for mode, partner in partners:
        cuts = PUSH_STAGES if mode.startswith("push") else PULL_STAGES
        timelines = []
        for lookup in answered:
            if lookup.partner != partner or lookup.id not in moments:
                continue
            created, outbox_created, relayed, dispatched, delivered, answered_at, seen_at = moments[lookup.id]
            marks = {
                "posted": lookup.posted,
                "created": created.timestamp(),
                "outbox_created": _moment(outbox_created),
                "relayed": _moment(relayed),
                "dispatched": _moment(dispatched),
                "delivered": _moment(delivered),
                "answered": _moment(answered_at),
                "seen_at_gateway": _moment(seen_at),
                "seen": lookup.seen,
            }
            if all(marks[mark] is not None for cut in cuts for mark in cut[1:]):
                timelines.append(marks)
        result[mode] = _cut(timelines, cuts)
    return result


def _moment(value: Any) -> float | None:
    return value.timestamp() if value is not None else None


def _cut(timelines: list[dict[str, Any]], cuts: tuple[tuple[str, str, str], ...]) -> dict[str, Any]:
    if not timelines:
        return {"n": 0}
    out: dict[str, Any] = {"n": len(timelines)}
    for name, start, end in cuts:
        out[name] = summary([(marks[end] - marks[start]) * 1000 for marks in timelines])
    total = [(marks["seen"] - marks["posted"]) * 1000 for marks in timelines]
    out["round_trip"] = summary(total)
    return out


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def rank(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {
        "mean": round(statistics.fmean(ordered), 1),
        "p50": rank(0.5),
        "p95": rank(0.95),
        "p99": rank(0.99),
    }
