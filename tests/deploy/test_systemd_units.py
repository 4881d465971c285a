"""AFX's systemd units (`deploy/systemd/`) pass `systemd-analyze verify`, and run, under a real
process supervisor (supervisord, as systemd is not running here), as a working production
stack on PostgreSQL and Redis: the gateway is ready, the worker and beat sequence the audit
log, and a worker or gateway killed by SIGKILL is restarted and serves again."""

from __future__ import annotations

import base64
import configparser
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from demo.processes import free_port
from tests.deploy.systemd_units import UNITS, command_line, read_environment, read_unit, relocated

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DATABASE = "afx_systemd_units"
SERVICES = ("afx-gateway.service", "afx-worker@.service", "afx-worker-slow@.service", "afx-beat.service")


def _env_file(tmp: Path, port: int) -> Path:
    keys = {name: tmp / name for name in ("master.key", "audit.key", "gateway.key")}
    for path in keys.values():
        path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
        path.chmod(0o600)
    environment = read_environment(UNITS / "afx.env.example") | {
        "DJANGO_SECRET_KEY": "units-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "CACHE_URL": "redis://127.0.0.1:6379/10",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/11"),
        "AFX_MASTER_KEY_FILE": str(keys["master.key"]),
        "AFX_AUDIT_SIGNING_KEY_FILE": str(keys["audit.key"]),
        "AFX_GATEWAY_SIGNING_KEY_FILE": str(keys["gateway.key"]),
        "AFX_BIND": f"127.0.0.1:{port}",
        "AFX_GUNICORN_WORKERS": "2",
        "AFX_LOG_LEVEL": "WARNING",
    }
    path = tmp / "afx.env"
    path.write_text("".join(f"{key}={value}\n" for key, value in environment.items()))
    return path


def _relocated_units(tmp: Path, env_file: Path) -> list[Path]:
    copies = []
    for unit in [*sorted(UNITS.glob("*.service")), UNITS / "afx.target"]:
        name = unit.name.replace("@.", "@1.")  # a template is verified as one of its instances
        copy = tmp / "units" / name
        copy.parent.mkdir(exist_ok=True)
        copy.write_text(relocated(unit.read_text(), ROOT, env_file))
        copies.append(copy)
    return copies


def test_the_units_pass_systemds_own_verifier(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: install Debian's systemd package"
    copies = _relocated_units(tmp_path, _env_file(tmp_path, 8000))
    verified = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, copies)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    broken = tmp_path / "units" / "afx-broken.service"
    broken.write_text(copies[1].read_text().replace("Restart=always", "Restart=sometimes"))
    refused = subprocess.run([analyze, "verify", "--man=no", str(broken)], capture_output=True, text=True)
    assert refused.returncode != 0 or "restart specifier" in refused.stderr  # the verifier does read them


def _supervisord_conf(tmp: Path, env_file: Path) -> Path:
    """supervisord's configuration for the three long-running units, read from them."""
    state = tmp / "state"  # what systemd makes for StateDirectory= and passes as STATE_DIRECTORY
    state.mkdir()
    environment = read_environment(env_file) | {"STATE_DIRECTORY": str(state)}
    conf = configparser.ConfigParser(interpolation=None)
    conf["supervisord"] = {"nodaemon": "true", "logfile": str(tmp / "supervisord.log")}
    conf["supervisord"]["pidfile"] = str(tmp / "supervisord.pid")
    conf["unix_http_server"] = {"file": str(tmp / "supervisor.sock")}
    conf["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"
    }
    conf["supervisorctl"] = {"serverurl": f"unix://{tmp / 'supervisor.sock'}"}
    for service in SERVICES:
        unit = read_unit(UNITS / service, instance="1")
        assert (unit.type, unit.restart, unit.environment_file) == ("exec", "always", "/etc/afx/afx.env")
        (line,) = unit.exec_start
        conf[f"program:{unit.name}"] = {
            "command": command_line(line, environment, "1").replace("/opt/afx", str(ROOT)),
            "directory": unit.working_directory.replace("/opt/afx", str(ROOT)),
            "environment": ",".join(f'{key}="{value}"' for key, value in environment.items()),
            "autorestart": "true",  # Restart=always
            "startsecs": "1",
            "stopasgroup": "true",
            "killasgroup": "true",
            "redirect_stderr": "true",
            "stdout_logfile": str(tmp / f"{unit.name}.log"),
        }
    path = tmp / "supervisord.conf"
    with path.open("w") as out:
        conf.write(out)
    return path


@pytest.fixture
def database() -> Iterator[str]:
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    yield f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _wait(predicate: Callable[[], object], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if predicate():
                return time.monotonic() - started
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def test_the_units_run_a_production_stack_that_survives_sigkill(tmp_path: Path, database: str) -> None:
    port = free_port()
    env_file = _env_file(tmp_path, port)
    environment = {**os.environ, **read_environment(env_file)}
    migrate = read_unit(UNITS / "afx-migrate.service")
    for line in migrate.exec_start:  # a oneshot: each ExecStart in order, before the others
        command = command_line(line, environment, "").replace("/opt/afx", str(ROOT)).split()
        subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True, timeout=300)
    conf = _supervisord_conf(tmp_path, env_file)
    supervisor = subprocess.Popen([str(Path(sys.executable).with_name("supervisord")), "-c", str(conf)])
    ctl = [str(Path(sys.executable).with_name("supervisorctl")), "-c", str(conf)]
    ready = f"http://127.0.0.1:{port}/api/v1/health/ready/"

    def pid(program: str) -> int:
        out = subprocess.run([*ctl, "pid", program], capture_output=True, text=True).stdout.strip()
        return int(out) if out.isdigit() else 0

    def heads() -> int:
        with psycopg.connect(database) as connection:
            return int(connection.execute("SELECT count(*) FROM audit_signedtreehead").fetchone()[0])  # type: ignore[index]

    def audited_act(code: str) -> None:  # a registry act: an audit event for beat and the worker to sequence
        command = [sys.executable, "manage.py", "partner_create", code, code, "--kind", "police_unit"]
        subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True, timeout=120)

    try:
        started = _wait(lambda: httpx.get(ready, timeout=2).status_code == 200, timeout=90)
        audited_act("units-bank-1")
        _wait(lambda: heads() >= 1, timeout=60)  # beat scheduled, the worker sequenced
        slow_log = tmp_path / "afx-worker-slow@1.log"  # serves the slow partners' queue alone
        _wait(lambda: "[tasks]" in slow_log.read_text(), timeout=60)  # its banner, queues first
        banner = slow_log.read_text()
        assert ".> push_slow" in banner and ".> celery " not in banner, banner[-2000:]

        figures: dict[str, float] = {"gateway_ready_s": round(started, 1)}
        for program in ("afx-worker@1", "afx-gateway"):
            before = pid(program)
            assert before
            os.kill(before, signal.SIGKILL)

            def replaced(program: str = program, before: int = before) -> bool:
                return pid(program) not in (0, before)

            figures[f"{program}_restarted_s"] = round(_wait(replaced, 30), 1)
        figures["gateway_ready_again_s"] = round(
            _wait(lambda: httpx.get(ready, timeout=2).status_code == 200, 60), 1
        )
        count = heads()
        audited_act("units-bank-2")
        figures["sequenced_after_restart_s"] = round(_wait(lambda: heads() > count, timeout=60), 1)
        print(json.dumps({"systemd_units_under_supervisord": figures}))  # noqa: T201 - the figures, for the record
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=60)
