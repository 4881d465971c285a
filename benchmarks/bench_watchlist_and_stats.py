"""Benchmark the watchlist check and the centre's figures at a million rows; one JSON line.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/afx_bench .venv/bin/python \\
        benchmarks/bench_watchlist_and_stats.py [--rows 1000000] [--runs 30]

In one process, on a fresh PostgreSQL test database (`test_<name of DATABASE_URL's database>`,
dropped at the end) holding the test world (`tests.conftest`):
- the watchlist holds `--rows` entries: 500 made through the ORM (real encrypted values and
  blind indexes, the ones the check hits) and the rest written by one `INSERT ... SELECT`
  (random blind indexes, which is all a check reads); then a check of 1,000 values (500
  listed, 500 not) through `watchlist.services.watchlist_check`, as a bank's adapter would,
  audit event included;
- `gateway_query` holds `--rows` queries over November 2026 (Shanghai), of two units, three
  partners, four kinds, every status, answered ones with an answer time; then the month's
  figures through `stats.selectors.centre_figures`, for every unit (an auditor) and for one
  unit (its officer): first over the queries alone (no day rolled up), then after the
  periodic roll-up of the settled days (`stats.rollup.days_roll_up`, timed once), as a
  running gateway reads them; the days still settling are read from the queries.
Beside each, in the same run and the same way: a plain indexed lookup of one row (a blind
index for the watchlist, a primary key for the queries), so the ratio does not depend on
the machine's speed that day. p50/p95 in ms over `--runs` runs after one warm-up.
Targets (issue 11): the 1,000-value check under 50 ms, the figures under 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
HITS = 500


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def timed(call: Callable[[], Any], runs: int) -> dict[str, float]:
    call()  # warm-up
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": percentile(took, 0.5), "p95_ms": percentile(took, 0.95)}


def seed_watchlist(world: Any, rows: int) -> list[str]:
    """`rows` entries, the first `HITS` real; returns the listed accounts."""
    from django.db import connection
    from django.utils import timezone

    from watchlist.models import WatchlistEntry, years_after

    accounts = [f"62220288{i:08d}" for i in range(HITS)]
    expires_at = years_after(timezone.now())
    WatchlistEntry.objects.bulk_create(
        WatchlistEntry(
            kind="account",
            value=account,
            reason="mule_account",
            restriction="counter_only",
            unit=world.unit_a,
            source_case=world.case_a,
            listed_by=world.officer_a,
            expires_at=expires_at,
        )
        for account in accounts
    )
    assert WatchlistEntry._meta.db_table == "watchlist_watchlistentry"  # the table the SQL names
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO watchlist_watchlistentry (id, kind, value, value_index, reason, restriction,
                unit_id, source_case_id, listed_by_id, listed_at, last_involved_at, expires_at, status,
                delist_reason)
            SELECT gen_random_uuid(), 'account', 'synthetic',
                '\\x00000001'::bytea || substring(sha256(('w' || i)::bytea) from 1 for 16),
                'mule_account', 'monitor', %s, %s, %s, now(), now(), now() + interval '5 years',
                CASE WHEN i %% 10 = 0 THEN 'expired' ELSE 'active' END, ''
            FROM generate_series(1, %s) AS i""",
            [world.unit_b.pk, world.case_a.pk, world.officer_a.pk, rows - HITS],
        )
        cursor.execute("VACUUM ANALYZE watchlist_watchlistentry")  # as autovacuum leaves a table
    return accounts


def seed_queries(world: Any, rows: int) -> None:
    from django.db import connection

    from exchange.models import Query
    from tests import factories

    case_b = factories.case(world.officer_b, "B-BENCH")
    assert Query._meta.db_table == "gateway_query"  # the table the SQL names
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO gateway_query (id, case_id, kind, partner_id, requested_by_id, subject_kind,
                subject, subject_index, params, status, reason, created_at, deadline,
                dispatched_at, answered_at, closed_at, delivery_attempts, answer_digest)
            SELECT gen_random_uuid(),
                CASE WHEN i %% 3 = 0 THEN %s ELSE %s END::uuid,
                (ARRAY['order_lookup', 'stop_payment', 'freeze', 'number_block'])[1 + i %% 4],
                (ARRAY[%s, %s, %s])[1 + (i / 4) %% 3],
                CASE WHEN i %% 3 = 0 THEN %s ELSE %s END,
                'account', 'synthetic',
                '\\x00000001'::bytea || substring(sha256(('q' || i)::bytea) from 1 for 16),
                '{}'::jsonb,
                (ARRAY['answered', 'answered', 'answered', 'expired', 'pending', 'refused'])
                    [1 + (i / 12) %% 6],
                '', created, created + interval '5 minutes',
                CASE WHEN (i / 12) %% 6 <> 5 THEN created END,
                CASE WHEN (i / 12) %% 6 < 3 THEN created + (i %% 30000) * interval '1 millisecond' END,
                CASE WHEN (i / 12) %% 6 < 4 THEN created + interval '1 minute' END,
                1, ''
            FROM (SELECT i, timestamptz '2026-10-31 16:00:00+00' + (i %% 2592000) * interval '1 second'
                  AS created FROM generate_series(1, %s) AS i) AS seeded""",
            [
                str(case_b.pk),
                str(world.case_a.pk),
                world.platform_x.pk,
                world.platform_y.pk,
                world.bank.pk,
                world.officer_b.pk,
                world.officer_a.pk,
                rows,
            ],
        )
        cursor.execute("VACUUM ANALYZE gateway_query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database: the figures are PostgreSQL's.")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from exchange.models import Query
        from privacy.selectors import blind_index_filter
        from stats.rollup import days_roll_up
        from stats.selectors import centre_figures
        from tests.conftest import make_world
        from watchlist.models import WatchlistEntry
        from watchlist.services import CheckValue, watchlist_check

        world = make_world()
        started = time.perf_counter()
        listed = seed_watchlist(world, options.rows)
        seed_queries(world, options.rows)
        seeded_s = round(time.perf_counter() - started, 1)
        values = [CheckValue("account", a) for a in listed] + [
            CheckValue("account", f"62220299{i:08d}") for i in range(1000 - HITS)
        ]
        answers = watchlist_check(actor=world.officer_a, values=values)
        if sum(1 for answer in answers if answer.listed) != HITS:
            raise SystemExit("the check did not find exactly the listed values")
        one = blind_index_filter(WatchlistEntry, "value", listed[7], kind="account")
        a_query = Query.objects.order_by().values_list("pk", flat=True)[0]
        figures = centre_figures(world.auditor, *NOVEMBER)
        counted = sum(row["count"] for row in figures.queries)
        no_roll_up = timed(lambda: centre_figures(world.auditor, *NOVEMBER), max(3, options.runs // 5))
        started = time.perf_counter()
        rolled_days = days_roll_up()
        roll_up_s = round(time.perf_counter() - started, 1)
        if centre_figures(world.auditor, *NOVEMBER) != figures:
            raise SystemExit("the rolled-up figures differ from the queries'")
        result = {
            "benchmark": "watchlist_and_stats",
            "rows": options.rows,
            "runs": options.runs,
            "seeded_s": seeded_s,
            "watchlist_check_1000_values": timed(
                lambda: watchlist_check(actor=world.officer_a, values=values), options.runs
            ),
            "watchlist_one_indexed_lookup": timed(
                lambda: WatchlistEntry.objects.filter(one, status="active").exists(), options.runs
            ),
            "stats_month_every_unit_no_roll_up": no_roll_up,
            "roll_up": {"days": rolled_days, "took_s": roll_up_s},
            "stats_month_every_unit": timed(lambda: centre_figures(world.auditor, *NOVEMBER), options.runs),
            "stats_month_one_unit": timed(lambda: centre_figures(world.officer_a, *NOVEMBER), options.runs),
            "query_one_indexed_lookup": timed(
                lambda: Query.objects.filter(pk=a_query).exists(), options.runs
            ),
            "queries_counted_in_month": counted,
            "targets_ms": {"watchlist_check_1000_values": 50, "stats": 500},
        }
        result["under_target"] = {
            "watchlist_check": result["watchlist_check_1000_values"]["p50_ms"] < 50,
            "stats": result["stats_month_every_unit"]["p95_ms"] < 500,
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
