"""A real gateway for the fuzz run, as deployed: gunicorn with the production settings and a
Celery worker with beat (the audit sequencer, deadlines, the outbox), on a fresh PostgreSQL
database holding the demo world and its first signed heads of the audit log.

Everything is done through `manage.py` in child processes, exactly as an operator would; the
test process itself never opens the gateway's database.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from psycopg import sql

from demo.processes import ProcessGroup, free_port, start, wait_for_url

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("AFX_FUZZ_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = "afx_fuzz"
LOGS = ROOT / "var"
PASSWORD = "afx-demo-password"  # the demo world's documented sign-in


@dataclass(frozen=True)
class LiveGateway:
    url: str
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        """Run `manage.py` against the gateway's database; its output, or a failure with stderr."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}"
        return done.stdout

    def sign_in(self, username: str) -> str:
        response = requests.post(
            f"{self.url}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30
        )
        assert response.status_code == 201, (username, response.status_code, response.text[:300])
        return str(response.json()["token"])


def _fresh_database() -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        name = sql.Identifier(DATABASE)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def _environment() -> dict[str, str]:
    """Production settings with throwaway secrets, over loopback HTTP."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AFX_ALLOW_HTTP_WEBHOOKS": "true",  # the demo world's platforms listen on loopback
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "CACHE_URL": "dbcache://afx_cache",
        "CELERY_BROKER_URL": os.environ.get("AFX_FUZZ_BROKER_URL", "redis://127.0.0.1:6379/12"),
        "AFX_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AFX_AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AFX_GATEWAY_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AFX_LOG_LEVEL": "WARNING",
    }


def _commands(port: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "gateway": [
            *[python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"],
            *["--workers", "2", "--threads", "4", "-k", "gthread", "--timeout", "60"],
            *["--log-level", "warning"],
        ],
        "worker": [
            *[python, "-m", "celery", "-A", "config", "worker", "-B", "-s", str(LOGS / "fuzz-beat-schedule")],
            *["--pool", "threads", "-c", "2", "--without-gossip", "--without-mingle", "-l", "warning"],
        ],
    }


@contextmanager
def live_gateway() -> Iterator[LiveGateway]:
    """Migrate and seed a fresh database, sequence the audit log once, start the processes."""
    _fresh_database()
    port = free_port()
    gateway = LiveGateway(url=f"http://127.0.0.1:{port}", env=_environment())
    gateway.manage("migrate", "-v0")
    gateway.manage("createcachetable")
    gateway.manage("seed_demo")
    gateway.manage("audit_sequence")
    with ProcessGroup(stop_timeout=30) as started:
        for name, command in _commands(port).items():
            started.add(start(name, command, log=LOGS / f"fuzz-{name}.log", env=gateway.env))
        wait_for_url(
            f"{gateway.url}/api/v1/health/", timeout=60, statuses={200}, request_timeout=2, watch=started
        )
        yield gateway
