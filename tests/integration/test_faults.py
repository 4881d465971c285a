"""The fault matrix, each fault under a load of lookups in flight: PostgreSQL restarted, Redis
(broker and cache) restarted, a partner answering garbage, an adapter's clock off by 4 and by
6 minutes.

Each test asserts that no query was lost or answered twice, that every final state has one
audit event, that the audit log sequences and verifies whole afterwards, and that the stack
came back within a lookup's default deadline (30 s); each prints one JSON line of figures.
Real processes: PostgreSQL, the broker, Celery workers, the simulated platforms over HTTP.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import psutil
import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from afx_sdk import signing
from audit.models import AuditEvent
from demo.processes import Process, free_port, start, wait_for_url
from exchange.audit_actions import ExchangeAction
from exchange.models import Query
from simulator.dataset import sample_order_numbers
from tests.integration.conftest import (
    ROOT,
    Platforms,
    WorkerProcess,
    _database_url,
    _ready,
    assert_answer_matches,
    wait_for,
)
from tests.integration.faults import (
    LOOKUP_DEADLINE_SECONDS,
    OPEN,
    PRODUCTION_LOGS,
    PrivatePostgres,
    all_settled,
    answered_once_after,
    assert_audit_log_whole,
    assert_each_settled_once,
    database_at,
    report,
    seconds,
    submit,
)
from tests.integration.test_broker_restart import PrivateRedis, private_broker  # noqa: F401 - its fixture
from tests.integration.test_recovery import beat

pytestmark = pytest.mark.integration

LOAD = 100  # lookups in flight at each fault
FAULTS_DB = "afx_faults"


@pytest.fixture
def private_postgres(world: Any, platforms: Platforms) -> Iterator[PrivatePostgres]:
    """The test database, world and partners included, copied into a cluster of the test's own,
    and this process moved onto it for the test."""
    cluster = PrivatePostgres()
    try:
        cluster.create(FAULTS_DB)
        cluster.copy_from(dict(connection.settings_dict), FAULTS_DB)
        with database_at("127.0.0.1", cluster.port, FAULTS_DB):
            yield cluster
    finally:
        cluster.destroy()


def test_postgres_restarted_mid_push_lookups_loses_none_and_recovers_within_a_deadline(
    world, platforms, private_postgres
):
    # The workers keep their connections for 60 s, as production's DATABASE_CONN_MAX_AGE does:
    # a restart cuts every one of them.
    database_url = f"postgres://postgres@127.0.0.1:{private_postgres.port}/{FAULTS_DB}?conn_max_age=60"
    platforms.push_simulator("--latency-ms", "200")
    worker = WorkerProcess("afx-faults-pg", environment={**PRODUCTION_LOGS, "DATABASE_URL": database_url})
    try:
        worker.wait_ready()
        orders = sample_order_numbers("paylink", LOAD)
        with beat():
            asked = submit(world, "paylink", orders)
            ids = [query.pk for query in asked]
            wait_for(lambda: Query.objects.filter(pk__in=ids, status="answered").count() >= 20, timeout=60)
            open_before = Query.objects.filter(pk__in=ids, status__in=OPEN).count()
            restarted_at = timezone.now()
            private_postgres.restart()
            back_at = timezone.now()
            connection.close()  # this process's connection was cut too
            finished = all_settled(ids, timeout=100)
        assert worker.process.running(), "the worker did not survive the restart"
    finally:
        worker.stop()
    for query, order in zip(sorted(finished, key=lambda q: ids.index(q.pk)), orders, strict=True):
        assert_answer_matches(query, "paylink", order)
    recovery = answered_once_after(finished, back_at)
    report(
        "postgres_restart",
        queries=LOAD,
        open_at_restart=open_before,
        restart_took_s=seconds(back_at, restarted_at),
        **asdict(recovery),
    )
    assert open_before > 0, "nothing was in flight at the restart"
    assert recovery.last_answered_after_back_s <= LOOKUP_DEADLINE_SECONDS


def test_redis_broker_and_cache_restarted_mid_lookups_loses_none(
    world, platforms, request, settings, live_server, tmp_path
):
    """The private Redis is the broker and the cache; restarted empty (no persistence), it loses
    every queued message: the sweeps send the open queries again. The replay nonces are not in
    it (`partners.replay`: in PostgreSQL), so no signature can be replayed after it."""
    redis: PrivateRedis = request.getfixturevalue("private_broker")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{redis.port}/5",
        }
    }
    push_orders = sample_order_numbers("paylink", LOAD // 2)
    pull_orders = sample_order_numbers("swiftpay", LOAD // 2)
    # 500 ms pushes on 2 worker threads: ~12 s of them, so the restart finds them queued.
    platforms.push_simulator("--latency-ms", "500")
    platforms.pull_simulator(live_server.url, "--latency-ms", "200")
    beat = ("-B", "-s", str(tmp_path / "beat"))
    worker = WorkerProcess("afx-faults-redis", *beat, broker=redis.url, environment=PRODUCTION_LOGS)
    try:
        worker.wait_ready()
        cache.set("afx-faults-probe", 1, timeout=60)
        asked = submit(world, "paylink", push_orders) + submit(world, "swiftpay", pull_orders)
        ids = [query.pk for query in asked]
        pushes = ids[: len(push_orders)]
        wait_for(lambda: Query.objects.filter(pk__in=pushes, status="answered").count() >= 5, timeout=60)
        open_before = Query.objects.filter(pk__in=ids, status__in=OPEN).count()
        pushes_open = Query.objects.filter(pk__in=pushes, status__in=OPEN).count()
        stopped_at = timezone.now()
        redis.stop()
        time.sleep(2)
        redis.start()
        back_at = timezone.now()
        finished = all_settled(ids, timeout=100)
        assert cache.get("afx-faults-probe") is None  # the cache came back empty, and answers
        assert worker.process.running()
    finally:
        worker.stop()
    orders = push_orders + pull_orders
    for query, order in zip(sorted(finished, key=lambda q: ids.index(q.pk)), orders, strict=True):
        assert_answer_matches(query, query.partner.code, order)
    recovery = answered_once_after(finished, back_at)
    report(
        "redis_restart",
        queries=LOAD,
        open_at_stop=open_before,
        pushes_open_at_stop=pushes_open,
        down_s=seconds(back_at, stopped_at),
        **asdict(recovery),
    )
    assert pushes_open > 0, "no push was queued or in flight at the restart"
    assert recovery.last_answered_after_back_s <= LOOKUP_DEADLINE_SECONDS


GARBAGE = (
    ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'{"status": "answered", "result": "garbage"}'),
    ("application/json", b'{"status": "answ'),
    ("application/json", b'{"status": "found", "result": {"account_number": 12, "holder_name": null}}'),
    ("application/octet-stream", bytes(range(256))),
)


class GarbagePartner:
    """A push webhook that answers 200 with something that is no answer, in turn from GARBAGE."""

    def __init__(self, port: int) -> None:
        served = {"n": 0}
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    kind, body = GARBAGE[served["n"] % len(GARBAGE)]
                    served["n"] += 1
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.served = served
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_partner_answering_garbage_fails_each_once_and_the_next_answers(world, platforms, celery_worker):
    garbage = GarbagePartner(platforms.push_port)
    try:
        started = time.monotonic()
        asked = submit(world, "paylink", sample_order_numbers("paylink", LOAD))
        ids = [query.pk for query in asked]
        finished = all_settled(ids, timeout=100)
        garbage_s = round(time.monotonic() - started, 2)
    finally:
        garbage.stop()
    assert_each_settled_once(finished, "failed", ExchangeAction.QUERY_FAILED)
    assert {q.reason for q in finished} == {"invalid_answer"}
    assert all(q.answer_document() is None for q in finished)
    assert garbage.served["n"] == LOAD  # failed at the first garbage: never sent again
    platforms.push_simulator()  # the partner fixed, on the same address
    fixed_at = timezone.now()
    orders = sample_order_numbers("paylink", 20)
    good = submit(world, "paylink", orders)
    answered = all_settled([q.pk for q in good], timeout=60)
    for query, order in zip(
        sorted(answered, key=lambda q: [g.pk for g in good].index(q.pk)), orders, strict=True
    ):
        assert_answer_matches(query, "paylink", order)
    leaves = assert_audit_log_whole()
    report(
        "partner_garbage",
        queries=LOAD,
        all_failed_after_first_submitted_s=garbage_s,
        reasons=sorted({q.reason for q in finished}),
        fixed_then_20_answered_after_s=max(seconds(q.answered_at, fixed_at) for q in answered),
        audit_leaves=leaves,
    )


# Runs the simulator with its wall clock shifted by argv[1] seconds: what the adapter signs with.
SKEWED_CLOCK = (
    "import runpy, sys, time; shift = float(sys.argv.pop(1)); real = time.time; "
    "time.time = lambda: real() + shift; sys.argv[0] = 'simulator'; "
    "runpy.run_module('simulator', run_name='__main__', alter_sys=True)"
)


def _skewed_adapter(platforms: Platforms, gateway: str, shift_s: int) -> Any:
    key = platforms.swiftpay
    arguments = ["--partner", "swiftpay", "--mode", "pull", "--gateway", gateway]
    process = start(
        f"simulator swiftpay (pull, clock {shift_s:+d} s)",
        [sys.executable, "-c", SKEWED_CLOCK, str(shift_s), *arguments],
        log=ROOT / "var" / f"simulator-swiftpay-skew{shift_s:+d}.log",
        env={**os.environ, "AFX_KEY_ID": key.key.key_id, "AFX_PRIVATE_KEY": key.private_key},
    )
    _ready(process, lambda: "simulator" in process.output(), timeout=20, tail=2000)
    return process


def _inbox_status(platforms: Platforms, gateway: str, shift_s: int) -> httpx.Response:
    """One inbox poll signed `shift_s` seconds off the gateway's clock."""
    url = f"{gateway}/api/v1/adapter/inbox/?wait=0&limit=1"
    headers = signing.signed_headers(
        key_id=platforms.swiftpay.key.key_id,
        private_key=signing.load_private_key(platforms.swiftpay.private_key),
        method="GET",
        url=url,
        now=time.time() + shift_s,
    )
    return httpx.get(url, headers=headers, timeout=10)


def test_adapter_clock_off_by_6_minutes_is_refused_then_answered_and_by_4_accepted(
    world, platforms, live_server, settings
):
    """Behind by 6 minutes, past the 5 minute window: every request refused with a 401 naming
    the stale signature, nothing leased; the clock set right, every query answered once.
    Ahead by 4 minutes, inside the window: served as usual."""
    window = settings.AFX_SIGNATURE_MAX_SKEW.total_seconds()
    assert 240 < window < 360, "the test assumes the default 5 minute window"
    refused = _inbox_status(platforms, live_server.url, -360)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "signature_stale"
    denials_before = AuditEvent.objects.filter(details__reason="signature_stale").count()
    orders = sample_order_numbers("swiftpay", LOAD)
    behind = _skewed_adapter(platforms, live_server.url, -360)
    try:
        first = submit(world, "swiftpay", orders[: LOAD // 2])
        ids = [q.pk for q in first]
        wait_for(lambda: "Inbox poll failed" in behind.output(), timeout=30)
        time.sleep(3)  # it keeps polling, refused each time
        assert Query.objects.filter(pk__in=ids, status="pending", delivery_attempts=0).count() == len(ids)
    finally:
        behind.stop(timeout=20)
    assert AuditEvent.objects.filter(details__reason="signature_stale").count() > denials_before
    right = platforms.pull_simulator(live_server.url)  # the clock set right
    fixed_at = timezone.now()
    answered = all_settled(ids, timeout=90)
    right.stop()
    assert_each_settled_once(answered, "answered", ExchangeAction.QUERY_ANSWERED)
    assert all(q.delivery_attempts == 1 for q in answered)  # never leased by the adapter refused
    recovered = max(seconds(q.answered_at, fixed_at) for q in answered)
    # The adapter just stopped may leave a long poll open that leases one query into its closed
    # socket: that query comes back when its 10 s lease runs out.
    ahead = _skewed_adapter(platforms, live_server.url, +240)
    try:
        second = submit(world, "swiftpay", orders[LOAD // 2 :])
        on_time = all_settled([q.pk for q in second], timeout=90)
    finally:
        ahead.stop(timeout=20)
    assert_each_settled_once(on_time, "answered", ExchangeAction.QUERY_ANSWERED)
    leaves = assert_audit_log_whole()
    report(
        "adapter_clock_skew",
        window_s=window,
        behind_360s_status=refused.status_code,
        behind_360s_code=refused.json()["error"]["code"],
        answered_after_clock_fixed_s=recovered,
        ahead_240s_answered=len(on_time),
        ahead_240s_redelivered=sum(1 for q in on_time if q.delivery_attempts > 1),
        audit_leaves=leaves,
    )
    assert recovered <= LOOKUP_DEADLINE_SECONDS


def _gunicorn(port: int) -> Process:
    """The gateway as production runs it: gunicorn, 2 workers of 8 threads, on the test database."""
    environment = {
        **os.environ,
        **PRODUCTION_LOGS,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--threads", "8", "-k", "gthread", "--graceful-timeout", "3"]
    gateway = start(
        "gunicorn", command, log=ROOT / "var" / "gunicorn-faults.log", env=environment, append=True
    )
    wait_for_url(f"http://127.0.0.1:{port}/api/v1/health/", timeout=60, statuses={200}, watch=[gateway])
    return gateway


def _kill_tree(process: Process) -> None:
    """SIGKILL the master and its workers at once, as the OOM killer or a cgroup kill ends them."""
    master = psutil.Process(process.popen.pid)
    workers = master.children(recursive=True)
    for each in [*workers, master]:
        each.kill()
    process.popen.wait(timeout=10)
    psutil.wait_procs(workers, timeout=10)


def test_gunicorn_sigkilled_mid_pull_lookups_loses_none(world, platforms):
    """The adapter's long polls and answers go through gunicorn; killed with queries leased to
    its open long polls, those come back when their 10 s lease runs out."""
    port = free_port()
    gateway = _gunicorn(port)
    try:
        platforms.pull_simulator(f"http://127.0.0.1:{port}", "--latency-ms", "300")
        asked = submit(world, "swiftpay", sample_order_numbers("swiftpay", LOAD))
        ids = [query.pk for query in asked]
        wait_for(lambda: Query.objects.filter(pk__in=ids, status="answered").count() >= 20, timeout=60)
        open_before = Query.objects.filter(pk__in=ids, status__in=OPEN).count()
        leased_before = Query.objects.filter(pk__in=ids, status="dispatched").count()
        killed_at = timezone.now()
        _kill_tree(gateway)
        gateway = _gunicorn(port)
        up_at = timezone.now()
        finished = all_settled(ids, timeout=100)
    finally:
        gateway.stop(timeout=20)
    orders = sample_order_numbers("swiftpay", LOAD)
    for query, order in zip(sorted(finished, key=lambda q: ids.index(q.pk)), orders, strict=True):
        assert_answer_matches(query, "swiftpay", order)
    recovery = answered_once_after(finished, up_at)
    report(
        "gunicorn_sigkill",
        queries=LOAD,
        open_at_kill=open_before,
        leased_at_kill=leased_before,
        back_after_kill_s=seconds(up_at, killed_at),
        **asdict(recovery),
    )
    assert open_before > 0, "nothing was in flight at the kill"
    assert recovery.last_answered_after_back_s <= LOOKUP_DEADLINE_SECONDS
