"""The processes of the embedded demo: the gateway, a Celery worker with beat, one simulated
platform per delivery mode, the three simulated banks (two pull, one push) and the simulated
telecom (pull), each a real process talking real HTTP."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError

from afx_sdk import GatewayClient, signing
from core.actors import SystemActor
from demo.processes import NotReady, ProcessGroup, simulator_command, start, wait_for_url, worker_command
from demo.world import PARTNERS, PartnerHeldKey, demo_adapter_key
from exchange.push_key import push_signing_key
from partners.models import AdapterKey
from partners.services import keys

GATEWAY = "127.0.0.1:8000"
ACTOR = SystemActor("demo")
SIMULATED_PLATFORMS = {"paylink": "push", "swiftpay": "pull"}
SIMULATED_BANKS = {"bank-east": "pull", "bank-river": "pull", "bank-coast": "push"}
SIMULATED_TELECOMS = {"tel-east": "pull"}
SIMULATED = {**SIMULATED_PLATFORMS, **SIMULATED_BANKS, **SIMULATED_TELECOMS}
# A push simulator listens where the demo world registered its webhook.
PUSH_PORTS = {code: urlsplit(url).port for code, _, _, _, url, _ in PARTNERS if code in SIMULATED and url}


def issue_simulator_keys() -> dict[str, PartnerHeldKey]:
    """Fresh key pairs for the simulated partners, made here as the partners would make them;
    AFX registers the public halves and never held the private halves of earlier ones.

    A push simulator signs nothing, but the answers it returns are recorded as its key's.
    """
    issued = {}
    for code in SIMULATED:
        for key in AdapterKey.objects.filter(partner__code=code).active():
            keys.adapter_key_revoke(actor=ACTOR, key_id=key.key_id)
        issued[code] = demo_adapter_key(actor=ACTOR, partner_code=code, label="demo simulator")
    return issued


@dataclass
class DemoStack:
    keys: dict[str, PartnerHeldKey]
    address: str = GATEWAY
    logs: Path = field(default_factory=lambda: Path(settings.BASE_DIR) / "var" / "demo-logs")
    processes: ProcessGroup = field(default_factory=lambda: ProcessGroup(stop_timeout=10))
    # The scrape token of the gateway's `/metrics`, new at every start, never printed.
    metrics_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "gateway",
            [sys.executable, "manage.py", "runserver", self.address, "--noreload"],
            extra_env={"AFX_METRICS_TOKEN": self.metrics_token},
        )
        self._spawn("worker", worker_command(beat_schedule=self.logs / "beat-schedule"))
        for code, mode in SIMULATED.items():
            self._spawn(
                f"simulator-{code}",
                simulator_command(code, mode, gateway=self.url, port=PUSH_PORTS.get(code)),
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

    def adapter_client(self, code: str) -> GatewayClient:
        """A signed client with the key the pull simulator of `code` holds, as its adapter."""
        held = self.keys[code]
        return GatewayClient(self.url, held.key.key_id, held.private_key)

    def _spawn(self, name: str, command: list[str], extra_env: dict[str, str] | None = None) -> None:
        # Appended: a crash's evidence survives a restart.
        log = self.logs / f"{name}.log"
        self.processes.add(
            start(name, command, log=log, env={**os.environ, **(extra_env or {})}, append=True)
        )

    def dead_process(self) -> str | None:
        """The name of a process that has exited, if any."""
        exited = self.processes.exited()
        return exited.name if exited is not None else None

    def _wait_for_gateway(self, timeout: float = 30) -> None:
        """Until the gateway answers at all: a 503 only means the audit sequencer is catching up."""
        try:
            wait_for_url(f"{self.url}/api/v1/health/", timeout=timeout, watch=self.processes)
        except NotReady as error:
            failed = error.exited.name if error.exited is not None else "gateway"
            raise CommandError(
                f"The demo could not start its {failed} (is {self.address} free?); "
                f"see the logs in {self.logs}"
            ) from error

    def stop(self) -> None:
        self.processes.stop()
