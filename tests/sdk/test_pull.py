"""The pull loop against the contract fixture: answers, outages with backoff, and clean stops."""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from afx_sdk import Answer, Backoff, GatewayClient, PullLoop, Query
from simulator.dataset import Dataset, expected_answer
from simulator.platform import OrderLookupHandler
from tests.sdk.conftest import KEY_ID, ORDERS, PRIVATE_KEY, SEED, query_json
from tests.sdk.contract_gateway import ContractGateway


class Recorder:
    """The simulator's handler, recording calls and announcing each start."""

    def __init__(self, latency: float = 0.0) -> None:
        self.inner = OrderLookupHandler(Dataset("paylink", seed=SEED, orders=ORDERS), latency_seconds=latency)
        self.started = threading.Event()
        self.calls: list[str] = []
        self.failures = 0

    def handle(self, query: Query) -> Answer:
        self.calls.append(query.id)
        self.started.set()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("back office down")
        return self.inner.handle(query)


def make_loop(gateway: ContractGateway, handler: Recorder, **options) -> PullLoop:
    client = GatewayClient(gateway.url, KEY_ID, PRIVATE_KEY, timeout=5)
    options.setdefault("backoff", Backoff(base=0.05, cap=0.2, rng=random.Random(1)))
    return PullLoop(client, handler, **{"wait": 1, **options})


@contextmanager
def running(loop: PullLoop, *, stops_within: float = 1.0) -> Iterator[PullLoop]:
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        yield loop
    finally:
        loop.stop.set()
        stopping = time.monotonic()
        thread.join(timeout=5)
        assert not thread.is_alive()
        assert time.monotonic() - stopping < stops_within


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(3))
    ceilings = [1, 2, 4, 8, 8, 8]
    delays = [backoff.delay(failures) for failures in range(1, 7)]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays[3:])) == 3  # jitter: capped pauses still differ


def test_queries_are_answered_from_the_data_set(contract_gateway, order_numbers):
    queries = [query_json(number) for number in order_numbers]
    answered: list[str] = []
    with running(make_loop(contract_gateway, Recorder(), on_answer=lambda q, a: answered.append(q.id))):
        contract_gateway.enqueue(*queries)
        answers = contract_gateway.wait_for_answers(*(query["id"] for query in queries))
    for query in queries:
        number = query["input"]["order_number"]
        assert answers[query["id"]] == expected_answer("paylink", number, SEED, orders=ORDERS).to_json()
    assert sorted(answered) == sorted(answers)


def test_gateway_outage_is_ridden_out_with_capped_backoff(contract_gateway, order_numbers, caplog):
    contract_gateway.fail_next(503, "drop", "proxy", 503, 503)
    query = query_json(order_numbers[0])
    contract_gateway.enqueue(query)
    with caplog.at_level(logging.WARNING), running(make_loop(contract_gateway, Recorder())):
        contract_gateway.wait_for_answers(query["id"])
    gaps = [later - earlier for earlier, later in itertools.pairwise(contract_gateway.inbox_times)]
    ceilings = [0.05, 0.1, 0.2, 0.2, 0.2]  # base 0.05 doubling, capped at 0.2
    for gap, ceiling in zip(gaps, ceilings, strict=False):
        assert ceiling / 2 <= gap <= ceiling + 0.25  # slack for a loaded machine
    assert len(gaps) >= len(ceilings)
    assert caplog.text.count("Inbox poll failed") == 5


def test_stop_interrupts_a_long_poll_at_once(contract_gateway):
    loop = make_loop(contract_gateway, Recorder(), wait=25)
    with running(loop, stops_within=0.5):
        while not contract_gateway.inbox_times:
            time.sleep(0.01)
        time.sleep(0.2)  # parked in the gateway's long poll


def test_stop_waits_for_the_query_in_hand_to_be_answered(contract_gateway, order_numbers):
    handler = Recorder(latency=0.5)
    query = query_json(order_numbers[0])
    contract_gateway.enqueue(query)
    with running(make_loop(contract_gateway, handler), stops_within=1.0):
        assert handler.started.wait(5)
    assert contract_gateway.answers[query["id"]]["status"] == "answered"


def test_handler_failure_leaves_the_query_to_come_back(contract_gateway, order_numbers, caplog):
    handler = Recorder()
    handler.failures = 1
    query = query_json(order_numbers[0])
    with caplog.at_level(logging.WARNING), running(make_loop(contract_gateway, handler)):
        contract_gateway.enqueue(query)
        while not handler.calls:
            time.sleep(0.01)
        contract_gateway.enqueue(query)  # the lease ran out: the gateway delivers it again
        answers = contract_gateway.wait_for_answers(query["id"])
    assert answers[query["id"]]["status"] == "answered"
    assert handler.calls == [query["id"], query["id"]]
    assert f"Handler raised ConnectionError on query {query['id']}" in caplog.text
    assert "back office down" not in caplog.text


def test_undelivered_answer_is_resent_without_asking_the_handler_again(contract_gateway, order_numbers):
    handler = Recorder()
    query = query_json(order_numbers[0])
    contract_gateway.fail_next_answers(503)
    with running(make_loop(contract_gateway, handler)):
        contract_gateway.enqueue(query)
        while len(contract_gateway.answer_posts) < 1:
            time.sleep(0.01)
        contract_gateway.enqueue(query)
        answers = contract_gateway.wait_for_answers(query["id"])
    assert answers[query["id"]]["status"] == "answered"
    assert handler.calls == [query["id"]]
    assert contract_gateway.answer_posts == [query["id"], query["id"]]


@pytest.mark.parametrize(("state", "logged"), [("conflict", "different answer"), ("closed", "closed before")])
def test_refused_answers_are_logged_and_the_loop_goes_on(
    contract_gateway, order_numbers, caplog, state, logged
):
    refused, accepted = query_json(order_numbers[0]), query_json(order_numbers[1])
    if state == "conflict":
        contract_gateway.known.add(refused["id"])
        contract_gateway.answers[refused["id"]] = Answer.failed().to_json()
    else:
        contract_gateway.close(refused["id"])
    answered: list[str] = []
    loop = make_loop(contract_gateway, Recorder(), on_answer=lambda q, a: answered.append(q.id))
    with caplog.at_level(logging.INFO), running(loop):
        contract_gateway.enqueue(refused)
        contract_gateway.enqueue(accepted)
        contract_gateway.wait_for_answers(accepted["id"])
    assert f"Query {refused['id']}" in caplog.text and logged in caplog.text
    assert answered == [accepted["id"]]


def test_queries_of_a_batch_are_handled_concurrently(contract_gateway, order_numbers):
    queries = [query_json(number) for number in order_numbers[:4]]
    contract_gateway.enqueue(*queries)
    started = time.monotonic()
    with running(make_loop(contract_gateway, Recorder(latency=0.4), concurrency=4, limit=4)):
        contract_gateway.wait_for_answers(*(query["id"] for query in queries))
    assert time.monotonic() - started < 1.2  # four 0.4 s answers side by side, not in a row
