"""The users of a busy anti-fraud centre, as Locust users, for `bench_load.py`.

Each class is one kind of caller with its weight in the mix; what they share (the gateway's
addresses, the tokens, the orders to ask about, the adapters' keys) is one `Centre`, set by
the benchmark before the run, so that no user signs in during it: a person holds at most 10
live tokens, and sign-ins are throttled per address. Pull adapters and push webhooks are not
users here: the simulated partners do that, as their own processes.

Every lookup an officer makes is kept (`Centre.lookups`) with the moments, on this machine's
clock, it was posted, accepted and first seen answered, so the benchmark can cut its round
trip into the stages the gateway's own timestamps mark.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import FastHttpUser, User, between, constant, constant_throughput, task

from afx_sdk import GatewayClient
from afx_sdk.errors import GatewayError

# How often an officer's screen asks whether the answer came: part of the round trip, so short.
POLL_SECONDS = 0.02
ANSWER_TIMEOUT = 30.0
OPEN = ("pending", "dispatched")


@dataclass
class Lookup:
    """One officer's lookup, with this machine's clock at each step the officer saw."""

    id: str
    partner: str
    posted: float
    accepted: float
    seen: float | None = None
    status: str = ""


@dataclass
class Centre:
    """What the users share, set once before a run (`configure`)."""

    hosts: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # "officer", "auditor" -> API token
    orders: dict[str, list[str]] = field(default_factory=dict)
    trace_order: str = ""
    # account -> window start, for the slow partner's account_transfers
    slow_accounts: dict[str, str] = field(default_factory=dict)
    slow_partner: str = "bank-coast"
    adapters: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # partner -> AFX_KEY_ID, AFX_PRIVATE_KEY
    lookups: list[Lookup] = field(default_factory=list)
    slow_lookups: list[Lookup] = field(default_factory=list)  # the slow partner's, apart
    _next_host: Iterator[int] = field(default_factory=itertools.count)

    def host(self) -> str:
        """The gateway instances take the users in turn (no load balancer: two ports)."""
        return self.hosts[next(self._next_host) % len(self.hosts)]


CENTRE = Centre()


def configure(**values: Any) -> Centre:
    """A fresh `Centre` for the next configuration (the users read the module's one)."""
    global CENTRE
    CENTRE = Centre(**values)
    return CENTRE


def now_iso(seconds_ago: float = 0.0) -> str:
    """A moment for a query string: `Z`, not `+00:00`, whose `+` would arrive as a space."""
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class GatewayUser(FastHttpUser):
    """A person with a token, on one of the gateway's instances."""

    abstract = True
    signed_in_as = "officer"
    poll_seconds = POLL_SECONDS

    def __init__(self, environment: Any) -> None:
        self.host = CENTRE.host()
        super().__init__(environment)
        self.headers = {"Authorization": f"Token {CENTRE.tokens[self.signed_in_as]}"}

    def open_case(self) -> str:
        body = {
            "number": f"LOAD-{uuid.uuid4().hex[:12]}",
            "title": "load",
            "fraud_type": "other",
            "legal_basis": "load test",
            "victim_loss": "1.00",
        }
        with self.client.post("/api/v1/cases/", json=body, headers=self.headers, name="case open") as r:
            return str(r.json()["id"])

    def submit(self, case_id: str, partner: str, kind: str, data: dict[str, str], name: str) -> Lookup | None:
        posted = time.time()
        body = {"case": case_id, "kind": kind, "partner": partner, "input": data}
        response = self.client.post("/api/v1/queries/", json=body, headers=self.headers, name=name)
        if response.status_code != 202:
            return None
        return Lookup(id=str(response.json()["id"]), partner=partner, posted=posted, accepted=time.time())

    def await_answer(self, lookup: Lookup, name: str) -> Lookup:
        """Poll the query as the officer's screen does until it is no longer on its way."""
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while time.monotonic() < deadline:
            response = self.client.get(f"/api/v1/queries/{lookup.id}/", headers=self.headers, name=name)
            status = response.json()["status"] if response.status_code == 200 else ""
            if status and status not in OPEN:
                lookup.seen, lookup.status = time.time(), status
                return lookup
            time.sleep(self.poll_seconds)
        lookup.status = "timeout"
        return lookup


class Officer(GatewayUser):
    """Looks an order up at a push (PayLink) or a pull (SwiftPay) platform and waits for it."""

    weight = 10
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        self.case_id = self.open_case()

    @task
    def lookup(self) -> None:
        partner = random.choice(("paylink", "swiftpay"))
        mode = "push" if partner == "paylink" else "pull"
        order = random.choice(CENTRE.orders[partner])
        found = self.submit(self.case_id, partner, "order_lookup", {"order_number": order}, f"lookup {mode}")
        if found is not None:
            CENTRE.lookups.append(self.await_answer(found, f"lookup poll {mode}"))


class BatchOfficer(GatewayUser):
    """Sends a small batch (five SwiftPay orders) and polls the case's open queries until none is."""

    weight = 1
    wait_time = between(3, 6)
    size = 5

    def on_start(self) -> None:
        self.case_id = self.open_case()

    @task
    def batch(self) -> None:
        orders = random.sample(CENTRE.orders["swiftpay"], self.size)
        body = {
            "queries": [
                {
                    "case": self.case_id,
                    "kind": "order_lookup",
                    "partner": "swiftpay",
                    "input": {"order_number": o},
                }
                for o in orders
            ]
        }
        response = self.client.post("/api/v1/queries/batch/", json=body, headers=self.headers, name="batch")
        if response.status_code != 200:
            return
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while time.monotonic() < deadline:
            for status in OPEN:
                page = self.client.get(
                    f"/api/v1/queries/?case={self.case_id}&status={status}&page_size=1",
                    headers=self.headers,
                    name="batch poll",
                )
                if page.status_code == 200 and page.json()["results"]:
                    break
            else:
                return
            time.sleep(0.2)


class Tracer(GatewayUser):
    """Now and then: the traceable order's lookup, then a five-tier trace with stop-payments,
    polled (`?graph=false`) until finished; each in a new case (two stops per account and case)."""

    weight = 1
    wait_time = between(10, 15)

    @task
    def trace(self) -> None:
        case_id = self.open_case()
        found = self.submit(
            case_id, "paylink", "order_lookup", {"order_number": CENTRE.trace_order}, "lookup push"
        )
        if found is None or self.await_answer(found, "lookup poll push").status != "answered":
            return
        started = time.perf_counter()
        body = {"from_query": found.id, "max_tiers": 5, "stop_payments": True}
        response = self.client.post(
            f"/api/v1/cases/{case_id}/traces/", json=body, headers=self.headers, name="trace"
        )
        if response.status_code != 201:
            return
        trace_id = response.json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = self.client.get(
                f"/api/v1/traces/{trace_id}/?graph=false", headers=self.headers, name="trace poll"
            )
            if state.status_code == 200 and state.json()["state"] == "finished":
                fire(self, "TRACE", "trace to finished seen", (time.perf_counter() - started) * 1000, None)
                return
            time.sleep(0.5)
        fire(self, "TRACE", "trace to finished seen", (time.perf_counter() - started) * 1000, TimeoutError())


class Auditor(GatewayUser):
    """Searches the last minute's events and exports the last half minute's, as an auditor does."""

    weight = 1
    wait_time = between(2, 4)
    signed_in_as = "auditor"

    @task(3)
    def search(self) -> None:
        action = random.choice(("query_answered", "query_dispatched", "watchlist_checked", None))
        filters = f"&action={action}" if action else ""
        self.client.get(
            f"/api/v1/audit/events/?since={now_iso(60)}{filters}&page_size=50",
            headers=self.headers,
            name="audit search",
        )

    @task(1)
    def export(self) -> None:
        self.client.get(
            f"/api/v1/audit/export/?format=jsonl&since={now_iso(30)}",
            headers=self.headers,
            name="audit export",
        )


class Bare(GatewayUser):
    """The bare token-authenticated DRF endpoint, in the same mix: the floor a request costs."""

    weight = 2
    wait_time = between(0.2, 0.5)

    @task
    def me(self) -> None:
        self.client.get("/api/v1/me/", headers=self.headers, name="bare /me/")


class SlowPartnerOfficer(GatewayUser):
    """Asks the slow push partner (a bank with 2 s answers) for an account's transfers and waits:
    in the mix only for the slow-partner run (`bench_load.py --slow-partner`)."""

    weight = 0
    fixed_count = 0
    wait_time = constant(0.0)
    poll_seconds = (
        0.5  # a slow answer is not watched as closely, and sixteen 20 ms polls would load the gateway
    )

    def on_start(self) -> None:
        self.case_id = self.open_case()

    @task
    def ask(self) -> None:
        account, window_start = random.choice(list(CENTRE.slow_accounts.items()))
        data = {"account_number": account, "window_start": window_start}
        found = self.submit(self.case_id, CENTRE.slow_partner, "account_transfers", data, "slow push")
        if found is not None:
            CENTRE.slow_lookups.append(self.await_answer(found, "slow push poll"))


class WatchlistAdapter(User):
    """A bank's (or a platform's) adapter checking a batch of accounts through the SDK's
    `GatewayClient`, signed; under the partner's throttle (60 checks a minute)."""

    fixed_count = 0  # set to the number of adapters by the benchmark
    # 45 checks a minute, under the throttle; and a pause shorter than gunicorn's 2 s keep-alive,
    # after which a reused connection may be closed under the SDK's feet (a ReadError).
    wait_time = constant_throughput(0.75)
    batch = 50
    _adapters = itertools.count()

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        partners = sorted(CENTRE.adapters)
        self.partner = partners[next(self._adapters) % len(partners)]
        keys = CENTRE.adapters[self.partner]
        self.sdk = GatewayClient(CENTRE.host(), keys["AFX_KEY_ID"], keys["AFX_PRIVATE_KEY"])

    def on_stop(self) -> None:
        self.sdk.close()

    @task
    def check(self) -> None:
        values = [("account", f"6222{random.randrange(10**14, 10**15)}") for _ in range(self.batch)]
        started = time.perf_counter()
        error: Exception | None = None
        try:
            self.sdk.watchlist_check(values)
        except GatewayError as failed:
            error = failed
        fire(self, "POST", "watchlist check (SDK)", (time.perf_counter() - started) * 1000, error)


def fire(user: User, kind: str, name: str, milliseconds: float, error: Exception | None) -> None:
    """Report a call Locust's client did not make (the SDK's, a trace's span) as a request."""
    user.environment.events.request.fire(
        request_type=kind,
        name=name,
        response_time=milliseconds,
        response_length=0,
        exception=error,
        context={},
    )


MIX: list[type[User]] = [Officer, BatchOfficer, Tracer, Auditor, Bare, WatchlistAdapter, SlowPartnerOfficer]


class SaturateBare(GatewayUser):
    """Closed loop, no pause: the bare endpoint's requests per second on this stack."""

    wait_time = constant(0.0)

    @task
    def me(self) -> None:
        self.client.get("/api/v1/me/", headers=self.headers, name="capacity bare /me/")


class SaturateLookups(GatewayUser):
    """Closed loop, no pause: lookups the gateway accepts (202) per second, to the pull platform."""

    wait_time = constant(0.0)

    def on_start(self) -> None:
        self.case_id = self.open_case()

    @task
    def submit_only(self) -> None:
        order = random.choice(CENTRE.orders["swiftpay"])
        self.submit(
            self.case_id, "swiftpay", "order_lookup", {"order_number": order}, "capacity lookup accepted"
        )
