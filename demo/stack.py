"""The processes of the embedded demo: the gateway, a Celery worker with beat, and one
simulated platform per delivery mode, each a real process talking real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import CommandError

from afx_sdk import signing
from core.actors import SystemActor
from demo.world import PartnerHeldKey, demo_adapter_key
from exchange.push_key import push_signing_key
from partners import services
from partners.models import AdapterKey, Partner

GATEWAY = "127.0.0.1:8000"
PUSH_PORT = 8101
ACTOR = SystemActor("demo")
SIMULATED = {"paylink": "push", "swiftpay": "pull"}


def issue_simulator_keys() -> dict[str, PartnerHeldKey]:
    """Fresh key pairs for the simulated platforms, made here as the platforms would make them;
    AFX registers the public halves and never held the private halves of earlier ones.

    The push platform signs nothing, but the answers it returns are recorded as its key's.
    """
    issued = {}
    for code in SIMULATED:
        partner = Partner.objects.get(code=code)
        for key in AdapterKey.objects.filter(partner=partner).active():
            services.adapter_key_revoke(actor=ACTOR, key=key)
        issued[code] = demo_adapter_key(actor=ACTOR, partner=partner, label="demo simulator")
    return issued


@dataclass
class DemoStack:
    keys: dict[str, PartnerHeldKey]
    address: str = GATEWAY
    logs: Path = field(default_factory=lambda: Path(settings.BASE_DIR) / "var" / "demo-logs")
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        self._spawn("gateway", [python, "manage.py", "runserver", self.address, "--noreload"])
        self._spawn(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--pool",
                "threads",
                "-c",
                "4",
                "-l",
                "warning",
                "-s",
                str(self.logs / "beat-schedule"),
            ],
        )
        for code, mode in SIMULATED.items():
            args = ["--port", str(PUSH_PORT)] if mode == "push" else ["--gateway", self.url]
            self._spawn(
                f"simulator-{code}",
                [python, "-m", "simulator", "--partner", code, "--mode", mode, *args],
                extra_env=self._simulator_env(code, mode),
            )
        self._wait_for_gateway()

    def _simulator_env(self, code: str, mode: str) -> dict[str, str]:
        """Keys by environment only: never on a command line, in the console or in a log.
        A push simulator needs only the gateway's public key; a pull one signs with its own."""
        if mode == "push":
            return {"AFX_GATEWAY_PUBLIC_KEY": signing.public_key_text(push_signing_key())}
        held = self.keys[code]
        return {"AFX_KEY_ID": held.key.key_id, "AFX_PRIVATE_KEY": held.private_key}

    def _spawn(self, name: str, command: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("ab")  # appended: a crash's evidence survives a restart
        env = {**os.environ, **(extra_env or {})}
        self.processes[name] = subprocess.Popen(  # noqa: S603
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def dead_process(self) -> str | None:
        """The name of a process that has exited, if any."""
        return next((name for name, process in self.processes.items() if process.poll() is not None), None)

    def _wait_for_gateway(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.dead_process():
                break
            try:
                httpx.get(f"{self.url}/api/v1/health/", timeout=1)
                return  # it answers; 503 only means the audit sequencer is still catching up
            except httpx.HTTPError:
                time.sleep(0.2)
        failed = self.dead_process() or "gateway"
        raise CommandError(
            f"The demo could not start its {failed} (is {self.address} free?); see the logs in {self.logs}"
        )

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
