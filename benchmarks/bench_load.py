"""Load-test the production stack with a busy centre's traffic; print one JSON line per configuration.

    .venv/bin/python benchmarks/bench_load.py [--seconds 25] [--users 20] [--configs 1x1 2x1 4x1 1x2 2x2 4x2]
        [--slow-partner-workers 2] [--slow-partner-seconds 15] [--capacity-seconds 6] [--capacity-users 8]

Locust runs headless in this process (`locust>=2.47`), bounded by `--seconds` per
configuration, against a production stack started here from nothing on 127.0.0.1 only
(PostgreSQL, Redis as broker and cache, gunicorn gthread, Celery workers and beat, the
simulated partners of `demo/processes.py`): officers looking orders up at a push and a pull
platform and polling until answered, small batches, now and then a five-tier trace with
stop-payments, auditors searching and exporting events, bank and platform adapters checking
the watchlist through the SDK, and the bare DRF endpoint (`GET /api/v1/me/`) in the same
mix; the simulators long-poll the inbox (SwiftPay, bank-east, bank-river) and take pushes
(PayLink, bank-coast). The users are `load_users.py`, the stack and its sampling `load_stack.py`.

A configuration `WxG` is W Celery worker processes (8 threads each) and G gunicorn
instances (2 workers x 8 threads each, on ports of their own, the users split between them:
no balancer). Each line gives, for that configuration:
- per operation: requests/s, p50/p95/p99 ms, errors;
- the lookups' round trip under the load, push and pull, cut into stages at the gateway's
  own timestamps (`load_stack.stages`), beside the bare endpoint's latency in the same mix;
- capacity: the bare endpoint's requests/s and accepted lookups/s with `--capacity-users`
  closed-loop users each, in alternating slices right after the mix, and their ratio;
- what saturates first: CPU cores used by each process group, the machine's busy share, the
  queues' depths (`saturation`), and the issue's targets, met or not.
With `--slow-partner-workers W`, one more line (`slow_partner`): the same load on W workers
three times, `--slow-partner-seconds` each, without the slow partner (the baseline), then with
bank-coast (push) answering in 2 s and as many officers asking it as the workers have threads,
first on the default queue that PayLink's pushes share (`same_queue`: before the fix), then on
`push_slow` with a worker of its own (`own_queue`: `partner_set_push_queue bank-coast push_slow`).
It gives PayLink's relayed -> dispatched (waiting for a worker) and round trip p50/p95 in each
run, the slow partner's own stages, and the queues' depths.
"""

from __future__ import annotations

import locust  # first: it patches the standard library for gevent before anything uses it

# isort: split
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gevent
import httpx
import load_users
from bench_lookup import PASSWORD, fresh_database, officer, production_environment, setup_world
from bench_lookup import run as run_command
from bench_trace import TICKS, machine_ticks, traced_accounts
from load_stack import PULL, PUSH_PORTS, SLOW_QUEUE, WORKER_THREADS, Config, Sampler, stack, stages
from locust.env import Environment
from locust.stats import RequestStats

from demo.orders import traceable_order
from simulator.dataset import sample_order_numbers
from simulator.tables import bank_partner_of

DATABASE = "afx_bench_load"
TARGET_P99_MS = 250
TARGET_RATIO = 0.6
PULL_BACKLOG = 20  # open pull queries no adapter has leased yet, beyond which their slots are the limit
WATCHLIST_PARTNERS = ("swiftpay", "bank-east", "bank-river")  # adapters whose key pairs the run holds


# Redis databases no other suite or benchmark uses (tests/deploy has 10 and 11, the fuzz run
# 12, bench_lookup 13 and 14, .ci/run 15): another run's workers must not take ours.
CACHE_DB, BROKER_DB = 8, 9
SLOW_PARTNER, SLOW_PARTNER_MS = "bank-coast", 2000


def sign_in(base: str, username: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["token"])


def centre_for(
    config: Config, keys: dict[str, dict[str, str]], trace_order: str, slow: dict[str, str]
) -> None:
    """What this configuration's users share: tokens (one sign-in each, before the run)."""
    base = config.hosts[0]
    load_users.configure(
        hosts=config.hosts,
        tokens={
            "officer": officer(base).headers["Authorization"].split()[1],
            "auditor": sign_in(base, "auditor"),
        },
        orders={partner: sample_order_numbers(partner, 500) for partner in ("paylink", "swiftpay")},
        trace_order=trace_order,
        slow_accounts=slow,
        adapters={code: keys[code] for code in WATCHLIST_PARTNERS},
    )


def with_count(user: type[locust.User], count: int) -> type[locust.User]:
    """The same user class with a fixed number of users (Locust gives them before the weights)."""
    counted: type[locust.User] = type(
        user.__name__, (user,), {"fixed_count": count, "__module__": user.__module__}
    )
    return counted


def mix(slow_users: int) -> list[type[locust.User]]:
    users: list[type[locust.User]] = [
        load_users.Officer,
        load_users.BatchOfficer,
        with_count(load_users.Tracer, 1),
        load_users.Auditor,
        load_users.Bare,
        with_count(load_users.WatchlistAdapter, len(WATCHLIST_PARTNERS)),
    ]
    return users + ([with_count(load_users.SlowPartnerOfficer, slow_users)] if slow_users else [])


def run_locust(users: list[type[locust.User]], count: int, seconds: float, warmup: float) -> dict[str, Any]:
    """Start `count` users, forget the first `warmup` seconds, measure `seconds`; per operation."""
    env = Environment(user_classes=users)
    runner = env.create_local_runner()
    runner.start(count, spawn_rate=max(count / max(warmup, 1.0), 1.0))
    gevent.sleep(warmup)
    env.stats.reset_all()
    load_users.CENTRE.lookups.clear()
    load_users.CENTRE.slow_lookups.clear()
    started = time.monotonic()
    gevent.sleep(seconds)
    table = operations(env.stats, time.monotonic() - started)
    runner.quit()
    return table


def operations(stats: RequestStats, seconds: float) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for (name, _method), entry in sorted(stats.entries.items()):
        table[name] = {
            "rps": round(entry.num_requests / seconds, 1),
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "n": entry.num_requests,
            "errors": entry.num_failures,
        }
    errors = [f"{error.name}: {error.error} x{error.occurrences}" for error in stats.errors.values()]
    return {"operations": table, "error_messages": errors[:10]}


def capacity(users: int, seconds: float, rounds: int = 3) -> dict[str, Any]:
    """bench_lookup's ratio, by Locust: the bare endpoint's requests/s and accepted lookups/s,
    in alternating slices (`rounds` of each, `seconds` in all for each), so that the other
    processes of a shared machine weigh on both alike; with the machine's CPU meanwhile."""
    counts = {"bare": 0, "accepted": 0, "errors": 0}
    busy_before, started = machine_ticks(), time.monotonic()
    for _ in range(rounds):
        bare = run_locust([load_users.SaturateBare], users, seconds / rounds, warmup=1)["operations"]
        lookups = run_locust([load_users.SaturateLookups], users, seconds / rounds, warmup=1)["operations"]
        counts["bare"] += bare.get("capacity bare /me/", {}).get("n", 0)
        accepted = lookups.get("capacity lookup accepted", {})
        counts["accepted"] += accepted.get("n", 0) - accepted.get("errors", 0)
        counts["errors"] += accepted.get("errors", 0)
    busy = (machine_ticks() - busy_before) / TICKS / (time.monotonic() - started) / (os.cpu_count() or 1)
    bare_rps, accepted_rps = counts["bare"] / seconds, counts["accepted"] / seconds
    return {
        "users": users,
        "bare_drf_rps": round(bare_rps, 1),
        "lookups_accepted_per_s": round(accepted_rps, 1),
        "lookup_errors": counts["errors"],
        "accepted_to_bare_ratio": round(accepted_rps / bare_rps, 3) if bare_rps else None,
        "machine_cpu_busy": round(busy, 2),
    }


def saturates_first(config: Config, figures: dict[str, Any]) -> list[str]:
    """What ran out, most pressing first: the machine's cores, a process group's (one core per
    Python process: the GIL), the load generator's own core, or a queue that kept growing."""
    cores, found = figures["cpu_cores"], []
    if figures["machine_cpu_busy"] >= 0.9:
        top = max((role for role in cores), key=lambda role: cores[role])
        busy = figures["machine_cpu_busy"]
        found.append(f"machine CPU ({busy:.0%} of {os.cpu_count()} cores; most: {top} {cores[top]})")
    caps = {
        "gunicorn": config.instances * 2,
        "celery_workers": config.workers,
        "load_generator": 1,
    }
    for role, cap in caps.items():
        if cores.get(role, 0) >= 0.85 * cap:
            found.append(f"{role} CPU ({cores[role]} of {cap} process cores)")
    depth = figures["queue_depth"]
    broker, waiting = depth["broker_queue"]["max"], depth["pending_push"]["max"]
    if broker > WORKER_THREADS or waiting > WORKER_THREADS * config.workers:
        found.append(f"Celery workers: pushes queued (broker max {broker}, pending push max {waiting})")
    if depth["pending_pull"]["max"] > PULL_BACKLOG:
        # A pull adapter leases only what it can start (the simulators: 4 at a time each).
        found.append(
            f"pull adapters' slots (pending pull max {depth['pending_pull']['max']}): the partners' side"
        )
    return found or ["nothing: no group at its CPU cap and no queue growing"]


def measure(config: Config, args: argparse.Namespace, setup: dict[str, Any], work: Path) -> dict[str, Any]:
    env, keys = setup["env"], setup["keys"]
    with stack(config, env, keys, work) as running:
        centre_for(config, keys, setup["trace_order"], setup["slow_accounts"])
        users = args.users
        with Sampler(env["DATABASE_URL"], env["CELERY_BROKER_URL"], running.roles) as sampler:
            mixed = run_locust(mix(0), users, args.seconds, warmup=args.warmup)
        lookups = list(load_users.CENTRE.lookups)
        capacity_figures = capacity(args.capacity_users, args.capacity_seconds)
    round_trip = stages(env["DATABASE_URL"], lookups)
    figures = sampler.figures()
    ops = mixed["operations"]
    errors = sum(op["errors"] for op in ops.values())
    unanswered = sum(1 for lookup in lookups if lookup.status != "answered")
    p99 = max(round_trip[mode].get("round_trip", {}).get("p99", 0.0) for mode in ("push", "pull"))
    ratio = capacity_figures["accepted_to_bare_ratio"]
    return {
        "config": {
            "celery_workers": config.workers,
            "gunicorn_instances": config.instances,
            "slow_partner_ms": config.slow_partner_ms,
            "label": config.label(),
        },
        "seconds": args.seconds,
        "users": users,
        "lookups_per_s": round(len(lookups) / args.seconds, 1),
        **mixed,
        "lookup_round_trip_ms": round_trip,
        "lookups_not_answered": unanswered,
        "bare_under_load_ms": ops.get("bare /me/"),
        "capacity": capacity_figures,
        "saturation": {**figures, "saturates_first": saturates_first(config, figures)},
        "targets": {
            "zero_errors": errors == 0 and unanswered == 0 and capacity_figures["lookup_errors"] == 0,
            "round_trip_p99_under_250_ms": p99 < TARGET_P99_MS,
            "accepted_at_least_0.6_of_bare": ratio is not None and ratio >= TARGET_RATIO,
        },
    }


def slow_partner_run(
    config: Config, args: argparse.Namespace, setup: dict[str, Any], work: Path
) -> dict[str, Any]:
    """One run of the mix on `config` (with its slow officers, if it has a slow partner), no
    capacity slices: PayLink's push stages, the slow partner's, the queues and the CPU."""
    env, keys = setup["env"], setup["keys"]
    queue = SLOW_QUEUE if config.slow_queue else "celery"
    run_command([sys.executable, "manage.py", "partner_set_push_queue", SLOW_PARTNER, queue], env)
    slow_users = WORKER_THREADS * config.workers if config.slow_partner_ms else 0
    with stack(config, env, keys, work) as running:
        centre_for(config, keys, setup["trace_order"], setup["slow_accounts"])
        with Sampler(env["DATABASE_URL"], env["CELERY_BROKER_URL"], running.roles) as sampler:
            mixed = run_locust(
                mix(slow_users), args.users + slow_users, args.slow_partner_seconds, args.warmup
            )
        fast, slow = list(load_users.CENTRE.lookups), list(load_users.CENTRE.slow_lookups)
    fast_stages = stages(env["DATABASE_URL"], fast, partners=(("push", "paylink"),))["push"]
    slow_stages = stages(env["DATABASE_URL"], slow, partners=(("push", SLOW_PARTNER),))["push"]
    figures = sampler.figures()
    depth = figures["queue_depth"]
    return {
        "label": config.label(),
        "fast_push": {
            "n": fast_stages.get("n", 0),
            "relayed_to_dispatched": _p50_p95(fast_stages.get("relayed_to_dispatched")),
            "round_trip": _p50_p95(fast_stages.get("round_trip")),
        },
        "slow_push": {
            "n": slow_stages.get("n", 0),
            "answered_per_s": round(slow_stages.get("n", 0) / args.slow_partner_seconds, 1),
            "relayed_to_dispatched": _p50_p95(slow_stages.get("relayed_to_dispatched")),
            "dispatched_to_delivered": _p50_p95(slow_stages.get("dispatched_to_delivered")),
        },
        "broker_queue_max": {
            "celery": depth["broker_queue"]["max"],
            SLOW_QUEUE: depth["broker_queue_slow"]["max"],
        },
        "errors": sum(op["errors"] for op in mixed["operations"].values()),
        "lookups_not_answered": sum(1 for lookup in fast if lookup.status != "answered"),
        "fast_push_stages_ms": fast_stages,
        "cpu_cores": figures["cpu_cores"],
    }


def _p50_p95(summary: dict[str, float] | None) -> dict[str, float]:
    return {key: summary[key] for key in ("p50", "p95")} if summary else {}


def slow_partner_line(
    workers: int, args: argparse.Namespace, setup: dict[str, Any], work: Path
) -> dict[str, Any]:
    """The baseline, the slow partner sharing the default queue (before), and on its own (after),
    on the same world in the same run; and whether PayLink's wait for a worker held."""
    runs = {
        "without_slow_partner": Config(workers, 1),
        "same_queue": Config(workers, 1, slow_partner_ms=SLOW_PARTNER_MS),
        "own_queue": Config(workers, 1, slow_partner_ms=SLOW_PARTNER_MS, slow_queue=True),
    }
    results = {name: slow_partner_run(config, args, setup, work) for name, config in runs.items()}
    p95 = {name: result["fast_push"]["relayed_to_dispatched"].get("p95") for name, result in results.items()}
    return {
        "slow_partner": {
            "partner": SLOW_PARTNER,
            "answer_ms": SLOW_PARTNER_MS,
            "celery_workers": workers,
            "slow_officers": WORKER_THREADS * workers,
            "seconds": args.slow_partner_seconds,
            "fast_partner": "paylink",
            "fast_relayed_to_dispatched_ms": {
                name: result["fast_push"]["relayed_to_dispatched"] for name, result in results.items()
            },
            "fast_round_trip_ms": {
                name: result["fast_push"]["round_trip"] for name, result in results.items()
            },
            "own_queue_fast_p95_under_a_tenth_of_the_slow_answer": (
                p95["own_queue"] is not None and p95["own_queue"] < SLOW_PARTNER_MS / 10
            ),
            "runs": results,
        }
    }


def world(work: Path) -> dict[str, Any]:
    """The database, the demo world and the simulators' keys, once for every configuration."""
    fresh_database(DATABASE)
    env = production_environment(DATABASE, cache_db=CACHE_DB, broker_db=BROKER_DB)
    keys = setup_world(env, pull=list(PULL), push_ports=PUSH_PORTS)
    trace_order = traceable_order("paylink")
    slow = {
        account: start
        for account, start in traced_accounts(trace_order).items()
        if bank_partner_of(account) == "bank-coast"
    }
    return {"env": env, "keys": keys, "trace_order": trace_order, "slow_accounts": slow}


def configs(args: argparse.Namespace) -> list[Config]:
    return [Config(int(w), int(g)) for w, g in (text.split("x") for text in args.configs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=25.0, help="measured seconds of the mix, per configuration"
    )
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds of the mix before measuring")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--configs", nargs="*", default=["1x1", "2x1", "4x1", "1x2", "2x2", "4x2"])
    parser.add_argument("--slow-partner-workers", type=int, default=2, help="0: no slow-partner line")
    parser.add_argument(
        "--slow-partner-seconds", type=float, default=15.0, help="measured seconds of each of its three runs"
    )
    parser.add_argument("--capacity-seconds", type=float, default=6.0, help="per kind, in three slices")
    parser.add_argument("--capacity-users", type=int, default=8)
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="afx-bench-load-"))
    try:
        setup = world(work)
        for config in configs(args):
            line = {
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
                **measure(config, args, setup, work),
            }
            print(json.dumps(line), flush=True)
        if args.slow_partner_workers:
            line = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
            line |= slow_partner_line(args.slow_partner_workers, args, setup, work)
            print(json.dumps(line), flush=True)
    except Exception:
        print(f"Failed; the processes' logs are in {work}", file=sys.stderr)
        raise
    if args.keep_logs:
        print(f"The processes' logs are in {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
