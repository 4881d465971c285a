"""Benchmark the console's case page and event search beside their API twins; one JSON line.

    .venv/bin/python benchmarks/bench_console.py [--cases 10000] [--events 1000000] [--runs 100]

In one process, on a fresh PostgreSQL database (`bench_lookup.fresh_database`, default
`afx_bench_console`) with the production settings (`bench_lookup.production_environment`:
Redis cache, persistent connections, TOTP required in the console), migrated and holding the
test world (`tests.conftest`, two police units):
- `--cases` cases across the two units, each with three queries (one answered, one refused,
  one pending) like an answered query made through the services, written by `bulk_create`,
  which seals each title, subject and answer for its own row: real ciphertext to decrypt;
- `--events` audit events over six months, written by one `INSERT ... SELECT` in id order
  as writers leave them (ids and times rise together): officers and supervisors of both
  units, adapters, auditors and the system, doing the registered actions, about their cases,
  2% denied (most as `request_denied`, the rest under the action refused), some errors;
  then put in the Merkle tree by the real sequencer (`audit.sequencer.sequence_batch`), so
  each has its leaf as in a running gateway. The table's indexes are dropped for the insert
  and built again from their own definitions after it.
Then, through Django's test client (server time: the network is left out), p50/p95 in ms
over `--runs` requests after a warm-up, interleaved so drift hits all alike:
- `case_page`: `GET /console/cases/<id>/` for random cases, as their unit's officer
  (signed in with `force_login` and a confirmed TOTP device passed in the session);
- `case_api`: `GET /api/v1/cases/<id>/` for the same cases, with the officer's token;
- `event_search`: `GET /console/audit/events/` as the auditor, with each of the typical
  filters in turn (actor, action, case, outcome, a week months back, and combinations);
- `event_api`: `GET /api/v1/audit/events/` with the same filters, with the auditor's token;
- `bare_api`: `GET /api/v1/me/` with the officer's token: the baseline of the same run.
Target (issue 12): every page and endpoint under 100 ms at p95.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_lookup import fresh_database, percentile, production_environment  # noqa: E402

TARGET_MS = 100.0
QUERIES_PER_CASE = 3
# The log's six months, ending a day before the benchmark's "now" (Shanghai is UTC+8).
LOG_END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
LOG_SPAN = timedelta(days=182)
SHANGHAI_OFFSET = timedelta(hours=8)


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    response = call()
    took = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")
    return took


def figures(values: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95), "n": len(values)}


def seed_cases(world: Any, cases: int) -> list[tuple[str, int]]:
    """`cases` cases, half per unit, each with its queries; returns (case id, unit 0/1) pairs.

    Through `bulk_create`, which seals each value for its own row as `save()` does (a
    ciphertext is bound to its row: a copied one would not open)."""
    from exchange.models import Case, Query
    from exchange.services import answers
    from partners.identity import AdapterPrincipal
    from tests import factories
    from tests.exchange.conftest import ANSWER

    made = factories.query(world.officer_a, world.case_a, world.platform_x, "PX0000000002")
    template, _ = answers.answer_record(
        actor=AdapterPrincipal(key=world.key_x.key), query_id=made.pk, payload=ANSWER
    )
    units = [
        (world.unit_a, world.officer_a, world.platform_x),
        (world.unit_b, world.officer_b, world.platform_y),
    ]
    step = LOG_SPAN / max(cases, 1)
    shown: list[tuple[str, int]] = []
    for first in range(0, cases, 2000):
        batch = []
        for n in range(first, min(cases, first + 2000)):
            unit, officer, _ = units[n % 2]
            batch.append(
                Case(
                    unit=unit,
                    number=f"BENCH-{n:06d}",
                    title=f"Refund scam {n}",
                    fraud_type="online_shopping",
                    legal_basis="Art. 31",
                    victim_loss="5200.00",
                    status="closed" if n % 10 == 0 else "open",
                    opened_by=officer,
                    opened_at=LOG_END - step * (n + 1),
                )
            )
        Case.objects.bulk_create(batch)
        rows = []
        for case in batch:
            unit_number = 0 if case.unit_id == world.unit_a.pk else 1
            shown.append((str(case.pk), unit_number))
            _, officer, platform = units[unit_number]
            for n, status in enumerate(("answered", "refused", "pending")[:QUERIES_PER_CASE], start=1):
                at = case.opened_at + timedelta(hours=n)
                rows.append(
                    Query(
                        case=case,
                        kind=template.kind,
                        partner=platform,
                        requested_by=officer,
                        subject_kind=template.subject_kind,
                        subject=f"PX{case.number[-6:]}{n:04d}",
                        params=template.params,
                        status=status,
                        reason="no_grant" if status == "refused" else "",
                        created_at=at,
                        deadline=at + timedelta(minutes=5),
                        dispatched_at=at if status == "answered" else None,
                        answered_at=at + timedelta(seconds=2) if status == "answered" else None,
                        closed_at=at + timedelta(seconds=2) if status != "pending" else None,
                        delivery_attempts=1 if status == "answered" else 0,
                        answer=template.answer if status == "answered" else None,
                        answer_digest=template.answer_digest if status == "answered" else "",
                    )
                )
        Query.objects.bulk_create(rows)
    return shown


def actors(world: Any) -> list[tuple[str, str, str, str]]:
    """Who acts in the log: (type, id, partner, role). The world's own people among them."""
    people = [
        ("person", world.officer_a.actor_label, "unit-a", "officer"),
        ("person", world.officer_b.actor_label, "unit-b", "officer"),
        ("person", world.supervisor_a.actor_label, "unit-a", "supervisor"),
        ("person", world.auditor.actor_label, "oversight", "auditor"),
        ("person", world.administrator.actor_label, "exchange", "administrator"),
    ]
    for unit in ("a", "b"):
        people += [("person", f"person:officer-{unit}{n:02d}", f"unit-{unit}", "officer") for n in range(40)]
        people += [("person", f"person:supervisor-{unit}{n}", f"unit-{unit}", "supervisor") for n in range(3)]
    people += [
        ("adapter", f"adapter:platform-x/{world.key_x.key.key_id}", "platform-x", ""),
        ("adapter", f"adapter:platform-y/{world.key_y.key.key_id}", "platform-y", ""),
        ("system", "system:sequencer", "", ""),
        ("system", "system:relay", "", ""),
        ("anonymous", "", "", ""),
    ]
    return people


# Actions by the kind of actor, the common ones repeated as often as they happen.
PERSON_ACTIONS = (
    ["case_viewed"] * 6
    + ["lookup_submitted"] * 4
    + ["plaintext_revealed"] * 2
    + ["case_opened", "case_closed", "sign_in", "signed_out", "token_issued", "trace_started"]
    + ["trace_viewed", "freeze_requested", "stop_payment_requested", "watchlist_checked", "stats_viewed"]
)
ADAPTER_ACTIONS = ["query_answered"] * 4 + ["query_dispatched"] * 2 + ["watchlist_checked", "query_failed"]
SYSTEM_ACTIONS = ["query_dispatched", "query_expired", "hold_expiring", "watchlist_entry_expired"]


def seed_events(world: Any, case_ids: list[str], events: int) -> float:
    """`events` audit events in id order over six months; then the real sequencer over them.
    Returns the sequencer's events per second."""
    from django.db import connection

    from audit.models import AuditEvent, UnsequencedEvent
    from audit.sequencer import sequence_batch

    who = actors(world)
    assert AuditEvent._meta.db_table == "audit_auditevent"
    with connection.cursor() as cursor:
        # Its indexes are built again after the insert, from their own definitions: one sort
        # each instead of a million scattered inserts into each.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent'"
            " AND indexname <> 'audit_auditevent_pkey'"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT setseed(0.12)")  # the same log on every run
        cursor.execute(
            """INSERT INTO audit_auditevent (created_at, actor_type, actor_id, actor_partner, actor_role,
                action, target_type, target_id, case_id, request_id, source_address, outcome, details)
            SELECT at, (%s::text[])[a], (%s::text[])[a], (%s::text[])[a], (%s::text[])[a],
                CASE WHEN outcome = 'denied' AND r < 0.014 THEN 'request_denied'
                     WHEN (%s::text[])[a] = 'person' THEN (%s::text[])[1 + floor(random() * %s)::int]
                     WHEN (%s::text[])[a] = 'adapter' THEN (%s::text[])[1 + floor(random() * %s)::int]
                     ELSE (%s::text[])[1 + floor(random() * %s)::int] END,
                CASE WHEN has_case THEN 'gateway.query' ELSE '' END,
                CASE WHEN has_case THEN md5('q' || i)::uuid::text ELSE '' END,
                CASE WHEN has_case THEN (%s::text[])[1 + floor(random() * %s)::int] ELSE '' END,
                md5('r' || (i / 3)), ('10.' || (a %% 200) || '.' || (i %% 250) || '.' || (a %% 250))::inet,
                outcome,
                CASE WHEN has_case THEN jsonb_build_object('kind', 'order_lookup',
                    'subject_index', substr(md5('s' || (i %% 50000)), 1, 16)) ELSE '{}'::jsonb END
            FROM (SELECT i, r, %s + ((i - 1)::float8 * %s / %s) * interval '1 millisecond' AS at,
                    1 + floor(random() * %s)::int AS a, random() < 0.7 AS has_case,
                    CASE WHEN r < 0.02 THEN 'denied' WHEN r < 0.023 THEN 'error' ELSE 'allowed' END
                        AS outcome
                  FROM (SELECT i, random() AS r FROM generate_series(1, %s) AS i) AS numbered) AS seeded""",
            [
                [w[0] for w in who],
                [w[1] for w in who],
                [w[2] for w in who],
                [w[3] for w in who],
                [w[0] for w in who],
                PERSON_ACTIONS,
                len(PERSON_ACTIONS),
                [w[0] for w in who],
                ADAPTER_ACTIONS,
                len(ADAPTER_ACTIONS),
                SYSTEM_ACTIONS,
                len(SYSTEM_ACTIONS),
                case_ids,
                len(case_ids),
                LOG_END - LOG_SPAN,
                int(LOG_SPAN.total_seconds() * 1000),
                events,
                len(who),
                events,
            ],
        )
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("ANALYZE")
    started = time.monotonic()
    while sequence_batch(batch_size=50_000):
        pass
    took = time.monotonic() - started
    assert not UnsequencedEvent.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves the tables
    return round(events / took)


def signed_in(person: Any) -> Any:
    """A browser's session after sign-in: the person, and the TOTP device the code was entered on."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=person, name="bench", confirmed=True)
    client = Client()
    client.force_login(person)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def event_filters(world: Any, case_ids: list[str]) -> list[dict[str, str]]:
    """The typical searches: by actor, action, case, outcome, a week months back, and mixed."""
    week_end = LOG_END - timedelta(days=100)
    week = {"since": week_end - timedelta(days=7), "until": week_end}
    local = {name: (at + SHANGHAI_OFFSET).strftime("%Y-%m-%dT%H:%M") for name, at in week.items()}
    return [
        {"actor": world.officer_a.actor_label},
        {"action": "plaintext_revealed"},
        {"case": case_ids[len(case_ids) // 3]},
        {"outcome": "denied"},
        {**local},
        {"actor": world.officer_a.actor_label, **local},
        {"action": "lookup_submitted", **local},
        {"action": "case_viewed", "outcome": "denied"},
        {"actor": world.officer_b.actor_label, "outcome": "error"},
    ]


def api_filters(console: dict[str, str]) -> dict[str, str]:
    """The same filters as the API takes them: times as ISO 8601 with their offset."""
    return {
        name: f"{value}:00+08:00" if name in ("since", "until") else value for name, value in console.items()
    }


def measure(world: Any, cases: list[tuple[str, int]], runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.clients import token_client

    officers = [world.officer_a, world.officer_b]
    pages = [signed_in(officer) for officer in officers]
    apis = [token_client(officer) for officer in officers]
    auditor_page = signed_in(world.auditor)
    auditor_api = token_client(world.auditor)
    searches = event_filters(world, [case for case, _ in cases])
    chooser = random.Random(12)
    calls: dict[str, Callable[[int], Any]] = {}

    def case_at(n: int) -> tuple[str, int]:
        return cases[chooser.randrange(len(cases))] if n >= 0 else cases[0]

    def case_page(n: int) -> Any:
        case, unit = case_at(n)
        return pages[unit].get(f"/console/cases/{case}/", secure=True)

    def case_api(n: int) -> Any:
        case, unit = case_at(n)
        return apis[unit].get(f"/api/v1/cases/{case}/", secure=True)

    def event_search(n: int) -> Any:
        return auditor_page.get("/console/audit/events/", searches[n % len(searches)], secure=True)

    def event_api(n: int) -> Any:
        return auditor_api.get("/api/v1/audit/events/", api_filters(searches[n % len(searches)]), secure=True)

    calls = {
        "bare_api": lambda n: apis[0].get("/api/v1/me/", secure=True),
        "case_page": case_page,
        "case_api": case_api,
        "event_search": event_search,
        "event_api": event_api,
    }
    for n in range(len(searches)):  # warm up, and each search once before timing
        for call in calls.values():
            call(n)
    statements = {}
    for name, call in calls.items():  # SQL statements per request, counted once
        with CaptureQueriesContext(connection) as captured:
            call(0)
        statements[name] = len(captured.captured_queries)
    times: dict[str, list[float]] = {name: [] for name in calls}
    by_filters: dict[str, dict[str, list[float]]] = {
        name: {"+".join(search): [] for search in searches} for name in ("event_search", "event_api")
    }
    for n in range(runs):
        for name, call in calls.items():
            took = timed(lambda call=call, n=n: call(n))  # type: ignore[misc]
            times[name].append(took)
            if name in by_filters:
                by_filters[name]["+".join(searches[n % len(searches)])].append(took)
    bare_p95 = percentile(times["bare_api"], 0.95)
    result: dict[str, Any] = {
        name: {
            **figures(values),
            "p95_to_bare_api_p95": round(percentile(values, 0.95) / bare_p95, 2),
            "statements": statements[name],
        }
        for name, values in times.items()
    }
    for name, searched in by_filters.items():
        result[f"{name}_p95_ms_by_filters"] = {
            search: percentile(values, 0.95) for search, values in searched.items() if values
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--database", default="afx_bench_console")
    options = parser.parse_args()
    if not options.database.startswith("afx_bench"):
        raise SystemExit("--database must be called afx_bench...: it is dropped and created afresh")

    fresh_database(options.database)
    os.environ.update(production_environment(options.database, cache_db=10, broker_db=10))
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    import logging

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cache.clear()
    from tests.conftest import make_world

    world = make_world()
    started = time.perf_counter()
    cases = seed_cases(world, options.cases)
    cases_s = time.perf_counter() - started
    sequencer_rate = seed_events(world, [case for case, _ in cases], options.events)
    seeded_s = time.perf_counter() - started
    measured = measure(world, cases, options.runs)
    met = {
        name: measured[name]["p95_ms"] < TARGET_MS
        for name in ("case_page", "case_api", "event_search", "event_api")
    }
    result = {
        "benchmark": "console",
        "database": "postgresql",
        "cpus": os.cpu_count(),
        "cases": len(cases),
        "queries": len(cases) * QUERIES_PER_CASE,
        "events": options.events,
        "runs": options.runs,
        "seed_cases_s": round(cases_s, 1),
        "seeded_s": round(seeded_s, 1),
        "sequencer_events_per_s": sequencer_rate,
        **measured,
        "target_ms": TARGET_MS,
        "met": met,
    }
    print(json.dumps(result, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main()
