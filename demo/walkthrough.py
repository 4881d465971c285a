"""The demo's walkthrough: an officer opens a case and looks up an order, over real HTTP,
exactly as a client of the API would; it reports how long the answer took."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from demo.world import DEMO_PASSWORD
from exchange.choices import OPEN_QUERY_STATUSES


@dataclass(frozen=True)
class LookupOutcome:
    partner: str
    query: dict[str, Any]
    seconds: float


def sign_in(base: str, username: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/v1/auth/token/", json={"username": username, "password": DEMO_PASSWORD})
    token.raise_for_status()
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Token {token.json()['token']}"}, timeout=10
    )


def open_case(client: httpx.Client) -> dict[str, Any]:
    response = client.post(
        "/api/v1/cases/",
        json={
            "number": f"DEMO-{time.strftime('%Y%m%d-%H%M%S')}",
            "title": "Online shopping refund scam (demo)",
            "fraud_type": "online_shopping",
            "legal_basis": "Anti-Telecom and Online Fraud Law, art. 31 (demo)",
            "victim_loss": "5200.00",
        },
    )
    response.raise_for_status()
    return dict(response.json())


def lookup(
    client: httpx.Client, case_id: str, partner: str, order_number: str, timeout: float = 30
) -> LookupOutcome:
    """Submit one order lookup and poll until it is no longer open."""
    started = time.perf_counter()
    submitted = client.post(
        "/api/v1/queries/",
        json={
            "case": case_id,
            "kind": "order_lookup",
            "partner": partner,
            "input": {"order_number": order_number},
        },
    )
    submitted.raise_for_status()
    query_id = submitted.json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        query = client.get(f"/api/v1/queries/{query_id}/").json()
        if query["status"] not in OPEN_QUERY_STATUSES or time.monotonic() > deadline:
            return LookupOutcome(partner=partner, query=query, seconds=time.perf_counter() - started)
        time.sleep(0.01)
