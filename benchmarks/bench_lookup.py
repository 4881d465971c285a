"""Benchmark the order lookup end to end and print one JSON line.

    .venv/bin/python benchmarks/bench_lookup.py [--lookups 200] [--seconds 10] [--clients 8]

Two stacks, each started here from nothing and stopped at the end, both on 127.0.0.1:
- embedded: SQLite, the file-system broker, `manage.py runserver`, one Celery worker;
- production: PostgreSQL, Redis, gunicorn (gthread), two Celery worker processes.
Each gets two instant simulated platforms (PayLink by push webhook, SwiftPay by pull).

Figures per stack:
- round trip: an officer's `POST /api/v1/queries/` until `GET /api/v1/queries/{id}/` shows the
  answer (polled every 5 ms), p50/p95/p99 in milliseconds, for push and for pull;
- throughput: lookups accepted (202) per second by `--clients` concurrent officers, divided
  by the requests per second of a bare token-authenticated DRF endpoint (`GET /api/v1/me/`)
  on the same server in the same run, so the ratio does not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from demo.processes import ProcessGroup, beat_command, simulator_command, start, wait_for_url, worker_command

ROOT = Path(__file__).resolve().parent.parent
PORT = 8710
PUSH_PORT = 8711
PASSWORD = "afx-demo-password"  # noqa: S105 - the demo world's documented password


def fresh_database(name: str) -> None:
    """An empty PostgreSQL database `name`, dropped first if a run left it."""
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def production_environment(database: str, *, cache_db: int, broker_db: int) -> dict[str, str]:
    """The production settings of a benchmark's stack, with fresh keys for this run only (as
    production takes them: from the environment), on its own database and Redis databases,
    so another run's workers never take its tasks."""
    return {
        **os.environ,
        "AFX_LOG_LEVEL": "WARNING",
        "AFX_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AFX_AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AFX_GATEWAY_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 40,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AFX_ALLOW_HTTP_WEBHOOKS": "true",  # the simulated partners listen on loopback
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "CACHE_URL": f"redis://127.0.0.1:6379/{cache_db}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{broker_db}",
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def run(command: list[str], env: dict[str, str]) -> str:
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def setup_world(
    env: dict[str, str], *, pull: Collection[str], push_ports: Mapping[str, int]
) -> dict[str, dict[str, str]]:
    """Migrate a fresh database, seed the demo world; return each simulator's key environment:
    a pull partner's own key pair (as seed_demo printed it), and for a push partner the
    gateway's public key. Each push partner's webhook is pointed at this run's port for it."""
    run([sys.executable, "manage.py", "migrate", "-v0"], env)
    run([sys.executable, "manage.py", "createcachetable"], env)
    printed = run([sys.executable, "manage.py", "seed_demo"], env)
    keys = {}
    for line in printed.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in pull:
            keys[parts[0]] = {"AFX_KEY_ID": parts[1], "AFX_PRIVATE_KEY": parts[2]}
    from afx_sdk import signing

    gateway_key = signing.load_private_key(env["AFX_GATEWAY_SIGNING_KEY"])
    webhooks = {code: f"http://127.0.0.1:{port}/afx/webhook" for code, port in push_ports.items()}
    for code in push_ports:
        keys[code] = {"AFX_GATEWAY_PUBLIC_KEY": signing.public_key_text(gateway_key)}
    script = (
        "from partners.models import Partner\n"
        f"for code, url in {webhooks!r}.items():\n"
        "    Partner.objects.filter(code=code).update(webhook_url=url)"
    )
    run([sys.executable, "manage.py", "shell", "-c", script], env)
    return keys


@contextmanager
def processes(commands: list[tuple[list[str], dict[str, str]]], logs: Path) -> Iterator[ProcessGroup]:
    """Start the commands, each logging to a file in `logs` named after it; stop them all at the end."""
    with ProcessGroup(stop_timeout=15) as group:
        for command, env in commands:
            name = "-".join(part for part in command[1:5] if not part.startswith("-"))[:60].replace("/", "_")
            group.add(start(name, command, log=logs / f"{name}.log", env=env, append=True))
        yield group


def officer(base: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/v1/auth/token/", json={"username": "cq.officer", "password": PASSWORD}
    ).json()
    return httpx.Client(base_url=base, headers={"Authorization": f"Token {token['token']}"}, timeout=30)


def open_case(client: httpx.Client, number: str) -> str:
    response = client.post(
        "/api/v1/cases/",
        json={
            "number": number,
            "title": "bench",
            "fraud_type": "other",
            "legal_basis": "bench",
            "victim_loss": "1.00",
        },
    )
    response.raise_for_status()
    return str(response.json()["id"])


def round_trips(client: httpx.Client, case_id: str, partner: str, orders: list[str]) -> list[float]:
    from_submit_to_answer = []
    for order in orders:
        started = time.perf_counter()
        query = client.post(
            "/api/v1/queries/",
            json={
                "case": case_id,
                "kind": "order_lookup",
                "partner": partner,
                "input": {"order_number": order},
            },
        ).json()
        deadline = time.monotonic() + 30
        while client.get(f"/api/v1/queries/{query['id']}/").json()["status"] in ("pending", "dispatched"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"query {query['id']} was not answered in 30 s")
            time.sleep(0.005)
        from_submit_to_answer.append((time.perf_counter() - started) * 1000)
    return from_submit_to_answer


def requests_per_second(
    make_call: Callable[[httpx.Client], int], clients: list[httpx.Client], seconds: float, expected: int
) -> float:
    """Concurrent calls for `seconds`; counts only responses with the expected status."""
    counts = [0] * len(clients)
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        while time.monotonic() < stop:
            if make_call(clients[index]) == expected:
                counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def measure(
    stack: str,
    env: dict[str, str],
    serve: list[str],
    workers: list[list[str]],
    args: argparse.Namespace,
    logs: Path,
) -> dict[str, Any]:
    from simulator.dataset import sample_order_numbers

    keys = setup_world(env, pull=["swiftpay"], push_ports={"paylink": PUSH_PORT})
    base = f"http://127.0.0.1:{PORT}"
    simulators = [
        (simulator_command("paylink", "push", gateway=base, port=PUSH_PORT), {**env, **keys["paylink"]}),
        (simulator_command("swiftpay", "pull", gateway=base), {**env, **keys["swiftpay"]}),
    ]
    with processes([(serve, env), *[(w, env) for w in workers]], logs) as gateway:
        wait_for_url(f"{base}/api/v1/health/", timeout=60, statuses={200}, watch=gateway)
        with processes(simulators, logs):
            result = lookup_round_trips(base, stack, args)
        # Throughput of the gateway itself: the platforms are stopped, so answering adds no load.
        client = officer(base)
        case_id = open_case(client, f"BENCH-{stack}-throughput")
        clients = [officer(base) for _ in range(args.clients)]
        bare = requests_per_second(lambda c: c.get("/api/v1/me/").status_code, clients, args.seconds, 200)
        body = {
            "case": case_id,
            "kind": "order_lookup",
            "partner": "swiftpay",
            "input": {"order_number": sample_order_numbers("swiftpay", 1)[0]},
        }
        accepted = requests_per_second(
            lambda c: c.post("/api/v1/queries/", json=body).status_code, clients, args.seconds, 202
        )
        result.update(
            {
                "bare_drf_rps": round(bare, 1),
                "lookups_accepted_per_s": round(accepted, 1),
                "accepted_to_bare_ratio": round(accepted / bare, 3),
            }
        )
        return result


def lookup_round_trips(base: str, stack: str, args: argparse.Namespace) -> dict[str, Any]:
    from simulator.dataset import sample_order_numbers

    client = officer(base)
    case_id = open_case(client, f"BENCH-{stack}")
    round_trips(client, case_id, "paylink", sample_order_numbers("paylink", 5, seed=7))  # warm up
    result: dict[str, Any] = {}
    for partner, mode in (("paylink", "push"), ("swiftpay", "pull")):
        times = round_trips(client, case_id, partner, sample_order_numbers(partner, args.lookups))
        result[f"round_trip_{mode}_ms"] = {
            "p50": percentile(times, 0.50),
            "p95": percentile(times, 0.95),
            "p99": percentile(times, 0.99),
            "n": len(times),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--stacks", nargs="+", default=["embedded", "production"])
    args = parser.parse_args()
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="afx-bench-"))
    # Fresh keys for this run only, as production takes them: from the environment.
    base_env = {
        **os.environ,
        "AFX_LOG_LEVEL": "WARNING",
        "AFX_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AFX_AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AFX_GATEWAY_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    out: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "clients": args.clients}
    try:
        if "embedded" in args.stacks:
            env = {
                **base_env,
                "DJANGO_SETTINGS_MODULE": "config.settings.local",
                "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
            }
            out["embedded"] = measure(
                "embedded",
                env,
                [python, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
                [worker_command(beat_schedule=work / "beat")],
                args,
                work,
            )
        if "production" in args.stacks:
            database = "afx_bench_lookup"
            fresh_database(database)
            env = production_environment(database, cache_db=14, broker_db=13)
            out["production"] = measure(
                "production",
                env,
                [
                    python,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{PORT}",
                    "--workers",
                    "2",
                    "--threads",
                    "8",
                    "-k",
                    "gthread",
                    "--log-level",
                    "warning",
                ],
                [worker_command(concurrency=8, name=f"bench{i}") for i in range(2)]
                + [beat_command(work / "beat-pg")],
                args,
                work,
            )
    except Exception:
        print(f"Failed; the processes' logs are in {work}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
