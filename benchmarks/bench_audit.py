"""Audit log benchmark on PostgreSQL: prints ONE JSON line: appends, sequencing, proofs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/afx_bench_audit .venv/bin/python benchmarks/bench_audit.py

The database named in DATABASE_URL is dropped and created afresh (it must be a PostgreSQL
database whose name starts with "afx_bench"), so every run measures the same thing. Local
only, bounded: about two to three minutes on two cores. Measured:

* appends_per_s_*: events recorded per second by `--writers` processes for `--seconds`
  each, while the sequencer runs every half second beside them. `1_per_txn` commits each
  event alone (an act whose only write is its audit event: the disk's fsync bounds it);
  `10_per_txn` records ten per transaction (a batch of lookups, say), which shows what the
  audit insert itself costs. `sequencer_caught_up_s_*` is how long the sequencer then
  needed to put the last of them in the tree. `database_appends_per_s_10_per_txn` runs
  the same INSERT from writers without Django, to separate the table's own capacity from
  the Python each writer spends per call (here both share the same two cores);
* request_p99_ms: the same trivial DRF endpoint with and without an `event_record`, called
  alternately through Django's test client; the extra cost is the difference of the p99s;
* verify_s: `manage.py audit_verify` over `--events` events (topped up with COPY, then put
  in the tree by the real sequencer in batches, whose rate is sequencer_events_per_s);
* proof_ms: generating an inclusion proof from the stored tree, for random leaves.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
SIGNING_SEED = base64.b64encode(os.urandom(32)).decode()


def setup_django() -> None:
    import django
    from django.conf import settings

    django.setup()
    settings.AFX_AUDIT_SIGNING_KEY = SIGNING_SEED
    settings.AFX_AUDIT_SIGNING_KEY_FILE = ""


def recreate_database() -> None:
    """Drop and create the benchmark database, then migrate it."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not name.startswith("afx_bench"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database called afx_bench...")
    db = connection.settings_dict
    admin = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def _writer(deadline: float, per_transaction: int, counter: Any) -> None:
    from django.db import transaction

    from audit.services import event_record
    from core.actors import SystemActor
    from exchange.audit_actions import ExchangeAction

    done = 0
    pid = os.getpid()
    while time.monotonic() < deadline:
        with transaction.atomic():
            for _ in range(per_transaction):
                event_record(
                    actor=SystemActor(f"bench-{pid}"),
                    action=ExchangeAction.CASE_VIEWED,
                    target_type="gateway.case",
                    target_id=str(done),
                    case_id=str(done % 997),
                    details={"subject_index": f"{done:016x}"},
                )
                done += 1
    with counter.get_lock():
        counter.value += done


def _sql_writer(deadline: float, per_transaction: int, counter: Any) -> None:
    """A writer without Django: the INSERT `event_record` issues, straight through psycopg."""
    import psycopg
    from django.db import connection
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    from audit.services import _insert_sql

    db = connection.settings_dict
    sql = _insert_sql("postgresql")
    done = 0
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    ) as raw:
        while time.monotonic() < deadline:
            with raw.transaction():
                for _ in range(per_transaction):
                    details = Jsonb({"subject_index": f"{done:016x}"})
                    row = [
                        timezone.now(),
                        "system",
                        "system:sql",
                        "",
                        "",
                        "case_viewed",
                        "gateway.case",
                        str(done),
                    ]
                    raw.execute(sql, [*row, str(done % 997), "", None, "allowed", details]).fetchone()
                    done += 1
    with counter.get_lock():
        counter.value += done


def measure_database_appends(writers: int, seconds: float, per_transaction: int) -> dict[str, float]:
    """The audit table's own append capacity: the same INSERT from writers with no Django in them."""
    from django.db import connections

    connections.close_all()
    counter = multiprocessing.get_context("fork").Value("q", 0)
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    processes = [
        multiprocessing.get_context("fork").Process(
            target=_sql_writer, args=(deadline, per_transaction, counter)
        )
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return {
        f"database_appends_per_s_{per_transaction}_per_txn": round(
            counter.value / (time.monotonic() - started)
        )
    }


def measure_appends(writers: int, seconds: float, per_transaction: int) -> dict[str, float]:
    """Writer processes append events, `per_transaction` to a committed transaction, while the
    sequencer runs beside them; then how long the sequencer needs to catch up."""
    from django.db import connections

    from audit.models import UnsequencedEvent
    from audit.sequencer import sequence_events

    connections.close_all()
    counter = multiprocessing.get_context("fork").Value("q", 0)
    stop = threading.Event()

    def sequencer_loop() -> None:
        while not stop.is_set():
            sequence_events(max_batches=50)
            stop.wait(0.5)
        connections.close_all()

    sequencer = threading.Thread(target=sequencer_loop)
    sequencer.start()
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    processes = [
        multiprocessing.get_context("fork").Process(target=_writer, args=(deadline, per_transaction, counter))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = time.monotonic() - started
    stop.set()
    sequencer.join()
    catch_up = time.monotonic()
    while sequence_events(max_batches=50):
        pass
    caught_up = time.monotonic() - catch_up
    assert not UnsequencedEvent.objects.exists()
    suffix = f"{per_transaction}_per_txn"
    return {
        f"appends_per_s_{suffix}": round(counter.value / elapsed),
        f"sequencer_caught_up_s_{suffix}": round(caught_up, 2),
    }


def measure_request_overhead(requests: int) -> dict[str, float]:
    """p99 of a trivial endpoint with and without one audit event, called alternately."""
    from django.test import Client
    from django.urls import clear_url_caches, path
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from audit.services import event_record
    from core.actors import SystemActor
    from exchange.audit_actions import ExchangeAction

    class Plain(APIView):
        permission_classes = [AllowAny]
        authentication_classes: list[type] = []

        def get(self, request: object) -> Response:
            return Response({"ok": True})

    class Audited(Plain):
        def get(self, request: object) -> Response:
            event_record(
                actor=SystemActor("bench"), action=ExchangeAction.CASE_VIEWED, details={"bench": True}
            )
            return Response({"ok": True})

    module = sys.modules[__name__]
    module.urlpatterns = [path("plain/", Plain.as_view()), path("audited/", Audited.as_view())]  # type: ignore[attr-defined]
    from django.conf import settings

    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    client = Client()
    timings: dict[str, list[float]] = {"plain": [], "audited": []}
    for number in range(requests + 200):
        for name in ("plain", "audited"):
            started = time.perf_counter()
            response = client.get(f"/{name}/")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200
            if number >= 200:  # warm-up
                timings[name].append(elapsed * 1000)
    p99 = {name: statistics.quantiles(values, n=100)[98] for name, values in timings.items()}
    return {
        "request_p99_ms_plain": round(p99["plain"], 3),
        "request_p99_ms_audited": round(p99["audited"], 3),
        "audit_overhead_p99_ms": round(p99["audited"] - p99["plain"], 3),
    }


def top_up(total: int) -> dict[str, float]:
    """COPY synthetic events up to `total`, then sequence them all with the real sequencer."""
    from django.db import connection
    from django.utils import timezone

    from audit.models import AuditEvent
    from audit.sequencer import sequence_batch

    missing = total - AuditEvent.objects.count()
    now = timezone.now()
    columns = (
        "created_at, actor_type, actor_id, actor_partner, actor_role, action, target_type, target_id, "
        "case_id, request_id, source_address, outcome, details"
    )
    actions = ["sign_in", "lookup_submitted", "case_viewed", "plaintext_revealed", "request_denied"]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy,
    ):
        for n in range(missing):
            copy.write_row(
                (
                    now,
                    "person",
                    f"person:officer-{n % 300}",
                    f"unit-{n % 30}",
                    "officer",
                    actions[n % 5],
                    "gateway.query",
                    str(n),
                    str(n % 5000),
                    f"{n:032x}",
                    f"10.0.{n % 200}.{n % 250}",
                    "allowed",
                    json.dumps({"kind": "order_lookup", "subject_index": f"{n * 7919 % 100003:016x}"}),
                )
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    started = time.monotonic()
    while sequence_batch(batch_size=50_000):
        pass
    elapsed = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"sequencer_events_per_s": round(missing / elapsed)}


def measure_verify() -> dict[str, float]:
    from django.core.management import call_command

    from audit.models import SequencedLeaf

    events = SequencedLeaf.objects.count()
    started = time.monotonic()
    call_command("audit_verify", stdout=open(os.devnull, "w"))  # noqa: SIM115 (closed at exit)
    return {"verify_events": events, "verify_s": round(time.monotonic() - started, 2)}


def measure_proofs(samples: int) -> dict[str, float]:
    from audit.models import SignedTreeHead
    from audit.proofs import inclusion_proof_for

    size = SignedTreeHead.objects.latest("number").tree_size
    chooser = random.Random(4)
    timings = []
    for _ in range(samples):
        leaf = chooser.randrange(size)
        started = time.perf_counter()
        inclusion_proof_for(leaf, size)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "proof_p50_ms": round(statistics.median(timings), 3),
        "proof_p99_ms": round(statistics.quantiles(timings, n=100)[98], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1000)
    options = parser.parse_args()
    setup_django()
    recreate_database()
    figures: dict[str, Any] = {
        "database": "postgresql",
        "cpus": os.cpu_count(),
        "writers": options.writers,
    }
    figures |= measure_appends(options.writers, options.seconds, per_transaction=1)
    figures |= measure_appends(options.writers, options.seconds, per_transaction=10)
    figures |= measure_database_appends(options.writers, options.seconds, per_transaction=10)
    figures |= measure_request_overhead(options.requests)
    figures |= top_up(options.events)
    figures |= measure_verify()
    figures |= measure_proofs(options.proofs)
    figures["targets_met"] = {
        "appends_per_s>=5000": figures["appends_per_s_10_per_txn"] >= 5000,
        "audit_overhead_p99_ms<5": figures["audit_overhead_p99_ms"] < 5,
        "verify_1M_s<10": figures["verify_s"] < 10,
        "proof_p99_ms<1": figures["proof_p99_ms"] < 1,
    }
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()
