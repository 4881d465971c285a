"""Signed requests over real HTTP to `manage.py runserver`: the server passes the raw request
target (`RAW_URI`), so escaped paths, unicode and repeated query keys verify as sent, and
hostile signature headers are a clean 401, never a 500."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from afx_sdk import GatewayClient, signing
from tests.integration.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Gateway:
    url: str
    key_id: str
    private_key: Ed25519PrivateKey

    def get(self, target: str, *, signed_target: str | None = None, **headers: str | bytes) -> httpx.Response:
        signature = signing.signed_headers(
            key_id=self.key_id,
            private_key=self.private_key,
            method="GET",
            url=self.url + (signed_target or target),
        )
        sent: dict[str, Any] = {**signature, **headers}
        return httpx.get(self.url + target, headers=sent, timeout=10)


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[Gateway]:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AFX_", "DATABASE_URL", "CELERY_", "DJANGO_"))
        },
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "AFX_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    _manage(env, "migrate", "--verbosity", "0")
    _manage(env, "partner_create", "plat", "Plat", "--kind", "payment_platform", "--delivery", "pull")
    private_key = signing.generate_private_key()  # made here, playing the partner
    registered = _manage(env, "key_create", "plat", f"--public-key={signing.public_key_text(private_key)}")
    printed = dict(line.strip().split("=", 1) for line in registered.splitlines() if "=" in line)
    url = f"http://127.0.0.1:{free_port()}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", url.removeprefix("http://"), "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/api/v1/health/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield Gateway(url, printed["AFX_KEY_ID"], private_key)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_sdk_client_is_accepted(gateway):
    with GatewayClient(gateway.url, gateway.key_id, gateway.private_key) as client:
        assert client.me()["partner"]["code"] == "plat"


@pytest.mark.parametrize("target", ["/api/v1/people/a%2Ab%26c/", "/api/v1/people/%E4%B8%AD%E6%96%87/"])
def test_escaped_and_unicode_paths_verify_over_the_raw_target(gateway, target):
    response = gateway.get(target)
    assert response.status_code == 403, response.text  # signature accepted; adapters may not list people
    assert response.json()["error"]["code"] == "permission_denied"


def test_repeated_query_keys_verify_as_sent(gateway):
    assert gateway.get("/api/v1/grants/?a=1&a=2&q=%E4%B8%AD%2A").status_code == 200


def test_a_decoded_escape_is_refused(gateway):
    response = gateway.get("/api/v1/people/a*b/", signed_target="/api/v1/people/a%2Ab/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"


@pytest.mark.parametrize(
    "spoil",
    [
        {"Signature": "afx=:ÄÖÜ:".encode()},
        {"Signature-Input": 'afx=("@method");keyid="中"'.encode()},
        {"Signature": b"afx=(((;;"},
        {"Signature": b"afx=:" + b"A" * 20_000 + b":"},
    ],
    ids=["latin-1", "utf-8", "malformed", "huge"],
)
def test_hostile_signature_headers_are_a_clean_401(gateway, spoil):
    response = gateway.get("/api/v1/adapter/me/", **spoil)
    assert response.status_code == 401, response.text
    assert set(response.json()["error"]) == {"code", "message", "fields"}
