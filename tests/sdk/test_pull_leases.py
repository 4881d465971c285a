"""The pull loop renews the leases of the queries its handlers are still working on, so a
slow handler keeps its query; a renewal that fails is logged and the loop goes on."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from afx_sdk import Answer, PullLoop, Query
from afx_sdk.errors import GatewayUnavailable
from afx_sdk.pull import LeaseClient
from tests.sdk.conftest import query_json
from tests.sdk.test_pull import Recorder, make_loop, running


class LeasingGateway:
    """An in-memory inbox that hands out its queries once and records every renewal."""

    def __init__(self, *queries: dict[str, Any]) -> None:
        self.waiting = [Query.from_json(query) for query in queries]
        self.answers: dict[str, Answer] = {}
        self.renewals: list[tuple[float, list[str]]] = []
        self.fail_renewals = 0
        self.lock = threading.Lock()

    def inbox(self, *, wait: float, limit: int) -> list[Query]:
        with self.lock:
            handed, self.waiting = self.waiting[:limit], self.waiting[limit:]
        if not handed:
            time.sleep(0.05)
        return handed

    def answer(self, query_id: str, answer: Answer) -> dict[str, Any]:
        self.answers[query_id] = answer
        return {"id": query_id, "status": answer.status.value}

    def renew_leases(self, query_ids: list[str]) -> list[str]:
        self.renewals.append((time.monotonic(), list(query_ids)))
        if self.fail_renewals:
            self.fail_renewals -= 1
            raise GatewayUnavailable("The gateway could not be reached.", code="unreachable")
        return [query_id for query_id in query_ids if query_id not in self.answers]


def test_a_slow_handler_keeps_its_lease_by_renewals_until_it_answers(order_numbers):
    query = query_json(order_numbers[0])
    gateway = LeasingGateway(query)
    assert isinstance(gateway, LeaseClient)
    loop = PullLoop(gateway, Recorder(latency=0.7), wait=1, renew_every=0.1)
    with running(loop):
        deadline = time.monotonic() + 5
        while query["id"] not in gateway.answers and time.monotonic() < deadline:
            time.sleep(0.05)
        answered_at = time.monotonic()
        time.sleep(0.3)
    assert query["id"] in gateway.answers
    renewed = [at for at, ids in gateway.renewals if ids == [query["id"]]]
    assert len(renewed) >= 4  # every 0.1 s while the handler worked for 0.7 s
    assert all(at <= answered_at + 0.1 for at, _ in gateway.renewals)  # nothing renewed once answered


def test_a_failed_renewal_is_logged_and_tried_again(order_numbers, caplog):
    query = query_json(order_numbers[0])
    gateway = LeasingGateway(query)
    gateway.fail_renewals = 1
    with caplog.at_level(logging.WARNING), running(PullLoop(gateway, Recorder(latency=0.5), renew_every=0.1)):
        deadline = time.monotonic() + 5
        while query["id"] not in gateway.answers and time.monotonic() < deadline:
            time.sleep(0.05)
    assert query["id"] in gateway.answers
    assert len(gateway.renewals) >= 2
    assert "Renewing 1 leases failed" in caplog.text


def test_no_renewal_is_asked_while_nothing_is_in_hand(order_numbers):
    gateway = LeasingGateway()
    with running(PullLoop(gateway, Recorder(), wait=1, renew_every=0.05)):
        time.sleep(0.3)
    assert gateway.renewals == []


def test_against_a_gateway_without_renewals_the_query_is_still_answered(
    contract_gateway, order_numbers, caplog
):
    """An older gateway answers the renewal 404: the loop logs it and answers all the same."""
    query = query_json(order_numbers[0])
    contract_gateway.enqueue(query)
    with (
        caplog.at_level(logging.WARNING),
        running(make_loop(contract_gateway, Recorder(latency=0.5), renew_every=0.1)),
    ):
        deadline = time.monotonic() + 5
        while query["id"] not in contract_gateway.answers and time.monotonic() < deadline:
            time.sleep(0.05)
    assert contract_gateway.answers[query["id"]]["status"] == "answered"
    assert "leases failed" in caplog.text
