"""The simulated platform's behaviour: its handler, and the faults it can be told to show.

Faults are what the gateway must survive: latency (a slow back office), an error rate (the
handler raises, so a push gets a 500 and a pull leaves the query to its lease; both are
retried) and one downtime window (push answers 503; pull stops polling), e.g. "down for
a minute, starting ten seconds in".
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from afx_sdk import Answer, Handler, InboxClient, MalformedMessage, OrderLookup, OrderLookupResult, Query
from afx_sdk.pull import LeaseClient
from afx_sdk.push import error_body

from .dataset import Dataset


class SimulatedFault(Exception):
    """The platform's back office failed on purpose; the query should be delivered again."""


@dataclass
class OrderLookupHandler:
    """Answers order lookups from the synthetic data set, with the configured latency and errors."""

    dataset: Dataset
    latency_seconds: float = 0.0
    error_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def handle(self, query: Query) -> Answer[OrderLookupResult]:
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        if self.error_rate and self.rng.random() < self.error_rate:
            raise SimulatedFault("Simulated back-office failure.")
        try:
            lookup = OrderLookup.from_query(query)
        except MalformedMessage:
            return Answer.failed(reason="The query's input is not a valid order lookup.")
        return self.dataset.answer(lookup.order_number)


@dataclass
class FaultyHandler:
    """Any handler with the configured latency and error rate: the simulated banks' faults."""

    handler: Handler
    latency_seconds: float = 0.0
    error_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def handle(self, query: Query) -> Answer:
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        if self.error_rate and self.rng.random() < self.error_rate:
            raise SimulatedFault("Simulated back-office failure.")
        return self.handler.handle(query)


@dataclass
class Downtime:
    """One window, `after` seconds from start and `duration` long, in which the platform is down."""

    after: float = 0.0
    duration: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        """Seconds left in the window, 0 outside it."""
        elapsed = time.monotonic() - self.started
        if self.after <= elapsed < self.after + self.duration:
            return self.after + self.duration - elapsed
        return 0.0


def unavailable_while_down(app: WSGIApplication, downtime: Downtime) -> WSGIApplication:
    """A push receiver that answers 503 during the window, as a platform behind a failing proxy."""

    def down_or_serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        remaining = downtime.remaining()
        if not remaining:
            return app(environ, start_response)
        body = json.dumps(error_body("unavailable", "The platform is down for maintenance.")).encode()
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(int(remaining) + 1)),
            ],
        )
        return [body]

    return down_or_serve


@dataclass
class PollingPausedWhileDown:
    """A pull client that does not poll during the window: to the gateway, the adapter is gone.

    The pause lasts at most one long poll's `wait`, like an empty poll, so stop requests are seen.
    """

    client: InboxClient
    downtime: Downtime
    stop: threading.Event

    def inbox(self, *, wait: float, limit: int) -> list[Query]:
        remaining = self.downtime.remaining()
        if remaining:
            self.stop.wait(min(remaining, wait))
            return []
        return self.client.inbox(wait=wait, limit=limit)

    def answer(self, query_id: str, answer: Answer) -> dict[str, Any]:
        return self.client.answer(query_id, answer)

    def renew_leases(self, query_ids: list[str]) -> list[str]:
        """Renewed as the client renews them: a query in hand is being worked on, down or not."""
        return self.client.renew_leases(query_ids) if isinstance(self.client, LeaseClient) else []


def answer_printer(stream: TextIO) -> Callable[[Query, Answer], None]:
    """One line per answered query: its id and status, never the order number or the result."""
    lock = threading.Lock()  # handler threads answer concurrently; lines must not interleave

    def print_answer(query: Query, answer: Answer) -> None:
        with lock:
            stream.write(f"{query.id} {answer.status.value}\n")
            stream.flush()

    return print_answer
