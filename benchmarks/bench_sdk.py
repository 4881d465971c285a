"""Benchmark the simulated platform in push mode and print one JSON line.

Run from the repository root:

    .venv/bin/python benchmarks/bench_sdk.py                  # 2,000 lookups, 1 and 8 clients
    .venv/bin/python benchmarks/bench_sdk.py --requests 10000 --latency-ms 0

Starts `python -m simulator --mode push` as its own process and sends it signed order lookups
over real HTTP, one new connection per request (as the stdlib server closes each), the way the
gateway's webhook calls arrive. Reports the round trip (sign, POST, verify, look up, answer)
p50/p95/p99 in milliseconds with one client and with `--clients` at once, the throughput of
the latter, and the data set's lookup time in process: the share of the gateway's 250 ms p99
budget that the adapter side takes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from afx_sdk import signing  # noqa: E402
from simulator.dataset import Dataset, sample_order_numbers  # noqa: E402

GATEWAY_KEY = signing.generate_private_key()  # a throwaway gateway key for this run
KEY_ID = signing.key_fingerprint(GATEWAY_KEY.public_key())
PARTNER = "paylink"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def lookup_body(order_number: str) -> bytes:
    now = datetime.now(UTC)
    query = {
        "id": str(uuid.uuid4()),
        "kind": "order_lookup",
        "partner": PARTNER,
        "case_reference": "bench",
        "input": {"order_number": order_number, "amount": None, "paid_at": None},
        "deadline": (now + timedelta(seconds=30)).isoformat(),
        "created_at": now.isoformat(),
    }
    return json.dumps(query).encode()


def round_trip(http: httpx.Client, url: str, order_number: str) -> float:
    body = lookup_body(order_number)
    started = time.perf_counter()
    headers = signing.signed_headers(
        key_id=KEY_ID, private_key=GATEWAY_KEY, method="POST", url=url, body=body, tag=signing.PUSH_TAG
    )
    response = http.post(url, content=body, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["status"] == "answered", response.text
    return elapsed * 1000


def summary(samples: list[float]) -> dict[str, float]:
    return {f"p{int(share * 100)}_ms": round(percentile(samples, share), 2) for share in (0.5, 0.95, 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()

    numbers = sample_order_numbers(PARTNER, min(args.requests, 100_000), 42)
    dataset = Dataset(PARTNER, seed=42)
    started = time.perf_counter()
    for number in numbers:
        dataset.lookup(number)
    lookup_us = (time.perf_counter() - started) / len(numbers) * 1e6

    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "simulator", "--partner", PARTNER, "--mode", "push", "--port", "0"),
            *("--latency-ms", str(args.latency_ms)),
        ],
        cwd=ROOT,
        env={**os.environ, "AFX_GATEWAY_PUBLIC_KEY": signing.public_key_text(GATEWAY_KEY)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = re.search(r"listening on (\S+)", process.stdout.readline())
        assert ready, "the simulator did not start"
        url = ready[1]
        # The simulator prints a line per answer; drain them so its pipe never fills.
        threading.Thread(target=process.stdout.read, daemon=True).start()

        with httpx.Client(limits=httpx.Limits(max_connections=args.clients)) as http:
            sequential = [round_trip(http, url, numbers[i % len(numbers)]) for i in range(args.requests)]
            with ThreadPoolExecutor(args.clients) as pool:
                started = time.perf_counter()
                concurrent = list(
                    pool.map(lambda i: round_trip(http, url, numbers[i % len(numbers)]), range(args.requests))
                )
                wall = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)

    print(
        json.dumps(
            {
                "benchmark": "sdk_push_round_trip",
                "requests": args.requests,
                "latency_ms": args.latency_ms,
                "one_client": summary(sequential),
                "clients": args.clients,
                "concurrent": {**summary(concurrent), "per_second": round(args.requests / wall, 1)},
                "mean_ms": round(statistics.fmean(sequential), 2),
                "dataset_lookup_us": round(lookup_us, 1),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
