"""Benchmark a five-tier trace with stop-payments end to end and print one JSON line.

    .venv/bin/python benchmarks/bench_trace.py [--runs 10] [--timeout 60]

The production stack of `bench_lookup.py`, started here from nothing and stopped at the end,
on 127.0.0.1 only: PostgreSQL, Redis as the broker, gunicorn (gthread), two Celery worker
processes and beat; the simulated PayLink (push) and the three simulated banks (bank-east and
bank-river by pull, bank-coast by push webhook), all answering at once.

Each run opens a new case, looks up the same PayLink order (whose payee's money reaches over
100 accounts across the three banks within five tiers: `demo.orders.traceable_order`) and
starts a trace from the lookup with stop-payments. Figures per run:
- trace: from the trace's `POST` until the last stop-payment's answer (its `answered_at`, the
  gateway's clock, which is this machine's), and until the officer's poll (`--poll-seconds`) sees
  the trace finished;
- lookup: the same run's lookup round trip, `POST /queries/` until the answer is shown;
- independent: the same run's baseline, as many queries as the trace sent, asked one by one in
  a batch to the same accounts at the same banks (`independent_queries`): what the stack takes
  for that many queries with no trace to follow, so `trace_over_independent` is the cost of
  following the money, whatever the machine's speed that day;
- where the time goes: the trace's queries' time waiting to leave (created to dispatched) and
  with the bank (dispatched to answered), medians, by delivery, and the trace's span cut into
  its tiers' critical path (the moment each tier's last account was answered).
The banks are restarted before each run, so every run's stop-payments meet the same balances
(a simulated bank keeps what it held in memory). p50/p95 over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from bench_lookup import (
    PORT,
    fresh_database,
    officer,
    open_case,
    percentile,
    processes,
    production_environment,
    setup_world,
)

from demo.orders import TRACE_TIERS, traceable_order
from demo.processes import (
    Process,
    ProcessGroup,
    beat_command,
    simulator_command,
    start,
    wait_for_url,
    wait_until,
    worker_command,
)
from simulator.dataset import dataset
from simulator.ledger import ledger
from simulator.tables import bank_partner_of

PUSH_PORTS = {"paylink": 8711, "bank-coast": 8712}
BANKS = {"bank-east": "pull", "bank-river": "pull", "bank-coast": "push"}
MIN_ACCOUNTS = 100
DATABASE = "afx_bench_trace"
# The officer's poll of the trace's state (`?graph=false`: counts, no account decrypted), by
# default; each reading is audited, so a tighter poll loads the gateway it measures.
POLL_SECONDS = 0.2
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(process: Process) -> int:
    """User and system CPU the process has used so far, in clock ticks (Linux /proc)."""
    return _ticks(process.popen.pid)


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0  # ended meanwhile
    return int(fields[11]) + int(fields[12])


def _tree(pid: int) -> list[int]:
    """The process and its descendants (gunicorn's workers are children of its master)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in children:
            found.extend(_tree(int(child)))
    return found


def cpu_by_role(groups: dict[str, list[Process]]) -> dict[str, int]:
    """CPU ticks used so far by each role's processes and their children, and by PostgreSQL."""
    ticks = {
        role: sum(_ticks(pid) for process in processes for pid in _tree(process.popen.pid))
        for role, processes in groups.items()
    }
    ticks["postgres"] = sum(
        _ticks(int(entry.name))
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _comm(entry) == "postgres"
    )
    return ticks


def machine_ticks() -> int:
    """CPU ticks every process of the machine has used (Linux /proc/stat): busy, not idle."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split()[1:9]
    )
    return user + nice + system + irq + softirq + steal


def _comm(entry: Path) -> str:
    try:
        return (entry / "comm").read_text().strip()
    except OSError:
        return ""


def wait_idle(group: ProcessGroup, timeout: float) -> None:
    """Until every process of the group has used no CPU for half a second: a bank builds its
    ledger and scans the platforms' orders when it starts, which must not overlap a run."""
    last = {process.name: -1 for process in group}

    def idle() -> bool:
        ticks = {process.name: cpu_ticks(process) for process in group}
        quiet = ticks == last
        last.update(ticks)
        return quiet

    wait_until(idle, timeout=timeout, interval=0.5, watch=group, what="the banks were idle")


def start_banks(
    env: dict[str, str], keys: dict[str, dict[str, str]], base: str, logs: Path, run: int, concurrency: int
) -> ProcessGroup:
    group = ProcessGroup(stop_timeout=15)
    for code, mode in BANKS.items():
        command = simulator_command(code, mode, gateway=base, port=PUSH_PORTS.get(code))
        # A short long-poll: a stopped bank's last poll outlives it at the gateway for up to its
        # wait, and would lease the next run's queries for nobody (they return after 30 s).
        command += ["--concurrency", str(concurrency), "--wait", "2"] if mode == "pull" else []
        group.add(start(code, command, log=logs / f"{code}-run{run}.log", env={**env, **keys[code]}))

    def ready() -> bool:  # each prints one line when ready
        return all("simulator" in process.output() for process in group)

    wait_until(ready, timeout=60, watch=group, what="the banks were ready")
    wait_idle(group, timeout=60)
    return group


def lookup(client: httpx.Client, case_id: str, order: str, timeout: float) -> tuple[str, float]:
    """Look the order up at PayLink; the answered query's id and the round trip in ms."""
    started = time.perf_counter()
    query = client.post(
        "/api/v1/queries/",
        json={
            "case": case_id,
            "kind": "order_lookup",
            "partner": "paylink",
            "input": {"order_number": order},
        },
    ).json()
    deadline = time.monotonic() + timeout
    while (shown := client.get(f"/api/v1/queries/{query['id']}/").json())["status"] in (
        "pending",
        "dispatched",
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"lookup {query['id']} was not answered in {timeout:g} s")
        time.sleep(0.005)
    if shown["status"] != "answered":
        raise RuntimeError(f"lookup {query['id']} ended {shown['status']}")
    return str(query["id"]), (time.perf_counter() - started) * 1000


def case_queries(client: httpx.Client, case_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    url: str | None = f"/api/v1/queries/?case={case_id}&page_size=500"
    while url:
        page = client.get(url).json()
        found.extend(page["results"])
        url = page.get("next")
    return found


def moment(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def any_open(client: httpx.Client, case_id: str) -> bool:
    """Whether a query of the case is still on the way or with a bank: two one-row pages, as
    light as the trace's own poll."""
    return any(
        client.get(f"/api/v1/queries/?case={case_id}&status={status}&page_size=1").json()["results"]
        for status in ("pending", "dispatched")
    )


def traced_accounts(order: str) -> dict[str, str]:
    """The accounts a trace from the order's lookup asks (the ledger's own reckoning), each with
    the start of its window: what the baseline asks again, one by one."""
    found = dataset("paylink").lookup(order)
    assert found is not None
    expected = ledger().expected_trace(found.payee.number, found.paid_at, TRACE_TIERS)
    return {account: expected.window_starts[account].isoformat() for account in expected.tiers}


def independent_queries(
    client: httpx.Client, case_id: str, accounts: dict[str, str], count: int, timeout: float
) -> float:
    """The baseline: as many queries as the trace sent, each asked on its own (one batch of
    account_transfers to the same accounts at the same banks, no trace to follow), from the
    batch's `POST` until the last is answered, in ms: the floor the stack sets for that many."""
    items = list(accounts.items())
    body = {
        "queries": [
            {
                "case": case_id,
                "kind": "account_transfers",
                "partner": bank_partner_of(account),
                "input": {"account_number": account, "window_start": window_start},
            }
            for account, window_start in (items[i % len(items)] for i in range(count))
        ]
    }
    posted = time.time()
    response = client.post("/api/v1/queries/batch/", json=body)
    response.raise_for_status()
    if response.json()["accepted"] != count:
        raise RuntimeError("the baseline's batch was not accepted whole")
    deadline = time.monotonic() + timeout
    while any_open(client, case_id):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the baseline's queries were not answered in {timeout:g} s")
        time.sleep(POLL_SECONDS)
    found = case_queries(client, case_id)
    if any(query["status"] != "answered" for query in found):
        raise RuntimeError("some of the baseline's queries were not answered")
    return (max(moment(query["answered_at"]) for query in found) - posted) * 1000


def one_run(
    client: httpx.Client,
    run: int,
    order: str,
    traced: dict[str, str],
    args: argparse.Namespace,
    roles: dict[str, list[Process]],
) -> dict[str, Any]:
    timeout, poll_seconds = args.timeout, args.poll_seconds
    case_id = open_case(client, f"BENCH-TRACE-{run}-{time.time_ns()}")
    lookup_id, lookup_ms = lookup(client, case_id, order, timeout)
    cpu_before, machine_before = cpu_by_role(roles), machine_ticks()
    posted = time.time()
    response = client.post(
        f"/api/v1/cases/{case_id}/traces/",
        json={"from_query": lookup_id, "max_tiers": TRACE_TIERS, "stop_payments": True},
    )
    response.raise_for_status()
    trace_id = response.json()["id"]
    deadline = time.monotonic() + timeout
    polls = 1
    while client.get(f"/api/v1/traces/{trace_id}/?graph=false").json()["state"] != "finished":
        polls += 1
        if time.monotonic() > deadline:
            raise RuntimeError(f"trace {trace_id} still running after {timeout:g} s")
        time.sleep(poll_seconds)
    finished_seen = time.time()
    cpu = {role: ticks - cpu_before[role] for role, ticks in cpu_by_role(roles).items()}
    machine = machine_ticks() - machine_before
    reading = time.perf_counter()
    document = client.get(f"/api/v1/traces/{trace_id}/").json()
    read_ms = (time.perf_counter() - reading) * 1000
    queries = [query for query in case_queries(client, case_id) if query["id"] != lookup_id]
    stops = [query for query in queries if query["kind"] == "stop_payment"]
    last_stop = max(moment(query["answered_at"]) for query in stops if query["answered_at"])
    nodes = document["nodes"]
    baseline_case = open_case(client, f"BENCH-BASELINE-{run}-{time.time_ns()}")
    baseline_ms = independent_queries(client, baseline_case, traced, len(queries), timeout)
    return {
        "trace_ms": (last_stop - posted) * 1000,
        "independent_ms": baseline_ms,
        "finished_seen_ms": (finished_seen - posted) * 1000,
        "lookup_ms": lookup_ms,
        "accounts": len(nodes),
        "asked": sum(1 for node in nodes if node["asked"]),
        "banks": sorted({node["bank"] for node in nodes if node["asked"]}),
        "transfers": len(document["edges"]),
        "stop_payments": len(stops),
        "stopped": sum(1 for node in nodes if node["stop"] and node["stop"]["outcome"] == "stopped"),
        "queries": len(queries),
        "unanswered": sum(1 for query in queries if query["status"] != "answered"),
        "where": {
            **where_the_time_goes(posted, queries, nodes),
            # CPU seconds used from the POST until the trace was seen finished: ours by role,
            # and the whole machine's (2 cores: at most twice the wall time).
            "cpu_s": {role: round(ticks / TICKS, 2) for role, ticks in cpu.items()},
            "machine_cpu_s": round(machine / TICKS, 2),
            "wall_s": round(finished_seen - posted, 2),
            # What the officer's polling cost: one reading of the finished graph, and how many.
            "trace_get_ms": round(read_ms, 1),
            "trace_polls": polls,
        },
    }


def where_the_time_goes(
    posted: float, queries: list[dict[str, Any]], nodes: list[dict[str, Any]]
) -> dict[str, Any]:
    """Medians of waiting to leave and of the bank's time, by delivery; each tier's end."""
    by_partner: dict[str, list[dict[str, Any]]] = {}
    for query in queries:
        by_partner.setdefault("push" if query["partner"] == "bank-coast" else "pull", []).append(query)
    spans = {
        delivery: {
            "to_dispatch_ms": round(
                statistics.median(
                    (moment(q["dispatched_at"]) - moment(q["created_at"])) * 1000
                    for q in found
                    if q["dispatched_at"]
                ),
                1,
            ),
            "with_bank_ms": round(
                statistics.median(
                    (moment(q["answered_at"]) - moment(q["dispatched_at"])) * 1000
                    for q in found
                    if q["dispatched_at"] and q["answered_at"]
                ),
                1,
            ),
        }
        for delivery, found in by_partner.items()
    }
    answered = {q["id"]: moment(q["answered_at"]) for q in queries if q["answered_at"]}
    tiers: dict[int, float] = {}
    for node in nodes:
        stop = node["stop"]
        if stop and stop["query_id"] in answered:
            tiers[node["tier"]] = max(tiers.get(node["tier"], 0.0), answered[stop["query_id"]])
    return {
        "by_delivery": spans,
        "last_stop_answered_by_tier_ms": {
            str(tier): round((at - posted) * 1000) for tier, at in sorted(tiers.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one lookup or trace may take")
    parser.add_argument(
        "--bank-concurrency",
        type=int,
        default=4,
        help="queries a pull bank answers at once (the SDK's default: 4)",
    )
    parser.add_argument(
        "--poll-seconds", type=float, default=POLL_SECONDS, help="the officer's poll of the trace"
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (and say where)")
    args = parser.parse_args()
    order = traceable_order("paylink", min_accounts=MIN_ACCOUNTS)
    traced = traced_accounts(order)
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="afx-bench-trace-"))
    fresh_database(DATABASE)
    env = production_environment(DATABASE, cache_db=14, broker_db=13)
    serve = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2"]
    serve += ["--threads", "8", "-k", "gthread", "--log-level", "warning"]
    gateway = [
        serve,
        *(worker_command(concurrency=8, name=f"bench{i}") for i in range(2)),
        beat_command(work / "beat"),
    ]
    base = f"http://127.0.0.1:{PORT}"
    runs: list[dict[str, Any]] = []
    try:
        keys = setup_world(
            env, pull=[code for code, mode in BANKS.items() if mode == "pull"], push_ports=PUSH_PORTS
        )
        with processes([(command, env) for command in gateway], work) as stack:
            wait_for_url(f"{base}/api/v1/health/", timeout=60, statuses={200}, watch=stack)
            platform = simulator_command("paylink", "push", gateway=base, port=PUSH_PORTS["paylink"])
            with processes([(platform, {**env, **keys["paylink"]})], work):
                client = officer(base)
                for run in range(args.runs):
                    with start_banks(env, keys, base, work, run, args.bank_concurrency) as banks:
                        roles = {
                            "gunicorn": [p for p in stack if "gunicorn" in p.name],
                            "celery": [p for p in stack if "celery" in p.name],
                            "banks": list(banks),
                        }
                        runs.append(one_run(client, run, order, traced, args, roles))
    except Exception:
        print(f"Failed; the processes' logs are in {work}", file=sys.stderr)
        raise
    if args.keep_logs:
        print(f"The processes' logs are in {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(summary(order, runs)))


def summary(order: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = runs[0]
    shape = {
        key: first[key] for key in ("accounts", "asked", "banks", "transfers", "stop_payments", "queries")
    }
    trace_ms = [run["trace_ms"] for run in runs]
    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "stack": "PostgreSQL, Redis, gunicorn gthread 2x8, 2 Celery workers x8 threads, instant banks",
        "order": order[:2] + "*" * (len(order) - 6) + order[-4:],
        "tiers": TRACE_TIERS,
        **shape,
        "same_every_run": all({key: run[key] for key in shape} == shape for run in runs),
        "stopped": [run["stopped"] for run in runs],
        "unanswered": sum(run["unanswered"] for run in runs),
        "runs": len(runs),
        "trace_to_last_stop_answered_ms": {
            "p50": percentile(trace_ms, 0.5),
            "p95": percentile(trace_ms, 0.95),
        },
        "trace_to_finished_seen_ms": {
            "p50": percentile([run["finished_seen_ms"] for run in runs], 0.5),
            "p95": percentile([run["finished_seen_ms"] for run in runs], 0.95),
        },
        # The same run's baseline: as many queries asked independently (`independent_queries`).
        "independent_queries_ms": {
            "p50": percentile([run["independent_ms"] for run in runs], 0.5),
            "p95": percentile([run["independent_ms"] for run in runs], 0.95),
        },
        "trace_over_independent": round(
            percentile(trace_ms, 0.5) / percentile([run["independent_ms"] for run in runs], 0.5), 2
        ),
        "lookup_round_trip_ms": {
            "p50": percentile([run["lookup_ms"] for run in runs], 0.5),
            "p95": percentile([run["lookup_ms"] for run in runs], 0.95),
        },
        "target_ms": 2000,
        "under_target": percentile(trace_ms, 0.5) < 2000,
        "where_the_time_goes_median_run": sorted(runs, key=lambda run: run["trace_ms"])[len(runs) // 2][
            "where"
        ],
    }


if __name__ == "__main__":
    main()
