"""Benchmark: does an out-of-scope object answer in the time a missing one does? One JSON line.

    .venv/bin/python benchmarks/bench_not_found.py [--requests 300]

In one process, on a fresh SQLite test database holding the test world (`tests.conftest`),
an officer of unit B asks, interleaved so that drift hits both alike:
- `GET /api/v1/cases/<id>/` for unit A's case (hidden) and for a random id (missing);
- `POST /api/v1/queries/` naming a partner unit A cannot see (hidden) and a code that names
  nobody (unknown), as an officer of unit A.
Each pair must be the same status and body; the figures are p50/p95 in milliseconds and the
SQL statements per request. The network is left out: it costs both paths the same.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


def measure(pairs: dict[str, Callable[[], Any]], requests: int) -> dict[str, dict[str, float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times: dict[str, list[float]] = {name: [] for name in pairs}
    statements: dict[str, int] = {}
    bodies: dict[str, tuple[int, bytes]] = {}
    for name, call in pairs.items():  # warm up, and count statements once
        call()
        with CaptureQueriesContext(connection) as captured:
            response = call()
        statements[name] = len(captured.captured_queries)
        bodies[name] = (response.status_code, response.content)
    for _ in range(requests):
        for name, call in pairs.items():
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    names = list(pairs)
    if bodies[names[0]] != bodies[names[1]]:
        raise SystemExit(f"{names[0]} and {names[1]} answer differently")
    return {
        name: {
            "p50_ms": percentile(values, 0.5),
            "p95_ms": percentile(values, 0.95),
            "mean_ms": round(statistics.fmean(values), 3),
            "statements": statements[name],
        }
        for name, values in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    options = parser.parse_args()

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # every 4xx would be a line
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from tests.clients import token_client
        from tests.conftest import make_world

        world = make_world()
        officer_a, officer_b = token_client(world.officer_a), token_client(world.officer_b)

        def submit(partner: str) -> Callable[[], Any]:
            body = {
                "case": str(world.case_a.pk),
                "kind": "order_lookup",
                "partner": partner,
                "input": {"order_number": "PX0000000077"},
            }
            return lambda: officer_a.post("/api/v1/queries/", body, format="json")

        missing_id = uuid.uuid4()
        cases = measure(
            {
                "hidden_case": lambda: officer_b.get(f"/api/v1/cases/{world.case_a.pk}/"),
                "missing_case": lambda: officer_b.get(f"/api/v1/cases/{missing_id}/"),
            },
            options.requests,
        )
        partners = measure(
            {"hidden_partner": submit(world.platform_y.code), "unknown_partner": submit("no-such-partner")},
            options.requests,
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps({"benchmark": "not_found", "requests": options.requests, **cases, **partners}))


if __name__ == "__main__":
    main()
