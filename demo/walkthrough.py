"""The demo's walkthrough: an officer opens a case, looks up an order and follows its money
through the banks with stop-payments, over real HTTP, exactly as a client of the API would;
it reports how long the answers took and what the trace found and stopped. Then a supervisor
lists the account on the watchlist, a bank's adapter checks it, the officer has a number
blocked by the telecom, and reads the centre's figures; a scraper reads `/metrics`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from afx_sdk import GatewayClient
from demo.orders import TRACE_TIERS
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
    return ask(client, case_id, partner, "order_lookup", {"order_number": order_number}, timeout=timeout)


def ask(
    client: httpx.Client, case_id: str, partner: str, kind: str, given: dict[str, Any], timeout: float = 30
) -> LookupOutcome:
    """Submit one query of `kind` and poll until it is no longer open."""
    started = time.perf_counter()
    submitted = client.post(
        "/api/v1/queries/", json={"case": case_id, "kind": kind, "partner": partner, "input": given}
    )
    submitted.raise_for_status()
    query_id = submitted.json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        query = client.get(f"/api/v1/queries/{query_id}/").json()
        if query["status"] not in OPEN_QUERY_STATUSES or time.monotonic() > deadline:
            return LookupOutcome(partner=partner, query=query, seconds=time.perf_counter() - started)
        time.sleep(0.01)


@dataclass(frozen=True)
class TraceFigures:
    """What a finished trace found and stopped, and how long its stop-payments took."""

    trace: dict[str, Any]
    tiers: int
    accounts: int
    transfers: int
    stops_sent: int
    stops_stopped: int
    amount_stopped: Decimal
    # From the trace's start (the gateway's clock) to the last stop-payment's answer.
    seconds_to_last_stop: float | None


def trace(client: httpx.Client, case_id: str, from_query: str, timeout: float = 120) -> TraceFigures:
    """Start a five-tier trace with stop-payments from an answered lookup; poll its state
    until it has finished (every query closed), at most `timeout` seconds."""
    started = client.post(
        f"/api/v1/cases/{case_id}/traces/",
        json={"from_query": from_query, "max_tiers": TRACE_TIERS, "stop_payments": True},
    )
    started.raise_for_status()
    trace_id = started.json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        shown = client.get(f"/api/v1/traces/{trace_id}/")
        shown.raise_for_status()
        document = dict(shown.json())
        if document["state"] == "finished":
            return trace_figures(client, document)
        if time.monotonic() > deadline:
            raise TimeoutError(f"The trace was still running after {timeout:g} s.")
        time.sleep(0.05)


def trace_figures(client: httpx.Client, document: dict[str, Any]) -> TraceFigures:
    """The figures of a finished trace; the stop-payments' answer times are read from each
    stop-payment query, as the officer may read them."""
    stops = [node["stop"] for node in document["nodes"] if node["stop"]]
    answered = [
        datetime.fromisoformat(client.get(f"/api/v1/queries/{stop['query_id']}/").json()["answered_at"])
        for stop in stops
        if stop["status"] == "answered"
    ]
    created = datetime.fromisoformat(document["created_at"])
    return TraceFigures(
        trace=document,
        tiers=max((node["tier"] for node in document["nodes"] if node["asked"]), default=0),
        accounts=len(document["nodes"]),
        transfers=len(document["edges"]),
        stops_sent=len(stops),
        stops_stopped=sum(1 for stop in stops if stop["outcome"] == "stopped"),
        amount_stopped=Decimal(document["amount_stopped"]),
        seconds_to_last_stop=(max(answered) - created).total_seconds() if answered else None,
    )


def revealed_account(client: httpx.Client, query_id: str) -> str:
    """The plaintext of the account an order lookup found, revealed (and audited) for a purpose."""
    response = client.post(f"/api/v1/queries/{query_id}/reveal/", json={"purpose": "identify_suspect"})
    response.raise_for_status()
    return str(response.json()["revealed"]["result_account"])


def watchlist_list(
    supervisor: httpx.Client, case_id: str, account: str, *, restriction: str = "counter_only"
) -> dict[str, Any]:
    """A supervisor lists an account of the case as a mule's: the entry, its value masked."""
    response = supervisor.post(
        "/api/v1/watchlist/",
        json={
            "case": case_id,
            "kind": "account",
            "value": account,
            "reason": "mule_account",
            "restriction": restriction,
        },
    )
    response.raise_for_status()
    return dict(response.json())


def watchlist_check(adapter: GatewayClient, accounts: list[str]) -> list[dict[str, Any]]:
    """A bank's adapter checks accounts (an opening batch, a payee) against the watchlist."""
    return adapter.watchlist_check([("account", account) for account in accounts])


def centre_figures(client: httpx.Client, first: date, last: date) -> dict[str, Any]:
    """The unit's figures over these days (the centres' own, Asia/Shanghai)."""
    response = client.get("/api/v1/stats/", params={"from": first.isoformat(), "to": last.isoformat()})
    response.raise_for_status()
    return dict(response.json())


def metrics_served(base: str, token: str) -> list[str]:
    """The `afx_` metric lines (comments aside) `/metrics` serves to a scraper holding the token."""
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    response.raise_for_status()
    return [line for line in response.text.splitlines() if line.startswith("afx_")]


def console_sign_in(base: str, username: str, password: str) -> str:
    """Sign in at the console as a browser does (its CSRF cookie and token, a session) and
    say what the dashboard answered: that the console works, not only the API."""
    with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as browser:
        form = browser.get("/console/sign-in/")
        form.raise_for_status()
        token = browser.cookies.get("csrftoken", "")
        page = browser.post(
            "/console/sign-in/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/console/sign-in/"},
        )
        page.raise_for_status()
        return f"{page.url.path} {page.status_code}"
