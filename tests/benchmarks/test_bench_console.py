"""A smoke test of the console benchmark at a tiny size: its one JSON line, and the world it seeds.

The benchmark runs as its own process (it takes the production settings from its
environment, as `bench_lookup` does), on PostgreSQL and Redis: an integration test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "afx_bench_console_smoke"
MEASURED = ("bare_api", "case_page", "case_api", "event_search", "event_api")


@pytest.mark.integration
def test_bench_console_prints_one_line_of_figures_over_a_realistic_log() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_console.py",
            "--cases=50",
            "--events=2000",
            "--runs=18",
            f"--database={DATABASE}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    result = json.loads(lines[0])
    assert result["benchmark"] == "console" and result["database"] == "postgresql"
    assert (result["cases"], result["queries"], result["events"]) == (50, 150, 2000)
    assert result["target_ms"] == 100
    assert set(result["met"]) == set(MEASURED) - {"bare_api"}
    for name in MEASURED:
        assert result[name]["n"] == 18
        assert 0 < result[name]["p50_ms"] <= result[name]["p95_ms"]
    for name in result["met"]:
        assert result["met"][name] is (result[name]["p95_ms"] < 100)
    assert len(result["event_search_p95_ms_by_filters"]) == 9  # 18 runs: every search twice
    assert set(result["event_api_p95_ms_by_filters"]) == set(result["event_search_p95_ms_by_filters"])
    assert result["seeded_s"] > 0 and result["sequencer_events_per_s"] > 0

    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DATABASE}") as database:
        seeded = database.execute(
            "SELECT count(*), count(DISTINCT actor_id), count(DISTINCT action), count(DISTINCT outcome),"
            " count(DISTINCT case_id), max(created_at) - min(created_at) > interval '150 days'"
            " FROM audit_auditevent WHERE created_at < timestamptz '2026-11-30 16:00+00'"
        ).fetchone()
        unsequenced = database.execute(
            "SELECT count(*) FROM audit_auditevent AS e LEFT JOIN audit_sequencedleaf AS l"
            " ON l.event_id = e.id WHERE l.leaf_index IS NULL AND e.created_at < timestamptz"
            " '2026-11-30 16:00+00'"
        ).fetchone()
        cases = database.execute("SELECT count(*) FROM gateway_case WHERE number LIKE 'BENCH-%'").fetchone()
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    assert seeded is not None and unsequenced is not None and cases is not None
    events, actors, actions, outcomes, case_ids, spread = seeded
    assert events == 2000 and unsequenced[0] == 0  # every seeded event has its leaf
    assert actors > 50 and actions > 20 and outcomes == 3 and case_ids > 40 and spread
    assert cases[0] == 50
