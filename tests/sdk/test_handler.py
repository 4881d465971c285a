"""Handler routing by kind, and the answer cache that makes re-deliveries idempotent."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from afx_sdk import Answer, AnswerCache, AnswerStatus, HandlerRegistry, Query
from tests.sdk.conftest import query_json


class SlowHandler:
    def __init__(self, *, fail_first: bool = False) -> None:
        self.calls = 0
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def handle(self, query: Query) -> Answer:
        with self.lock:
            self.calls += 1
            call = self.calls
        time.sleep(0.05)
        if self.fail_first and call == 1:
            raise TimeoutError("back office timed out")
        return Answer.not_found(reason=f"call {call}")


def test_registry_routes_by_kind_and_fails_unknown_kinds():
    registry = HandlerRegistry({"order_lookup": SlowHandler()})
    registry.register("account_trace", SlowHandler())
    assert registry.kinds == {"order_lookup", "account_trace"}
    assert registry.handle(Query.from_json(query_json("PL1"))).status is AnswerStatus.NOT_FOUND
    unknown = registry.handle(Query.from_json({**query_json("PL1"), "kind": "stop_payment"}))
    assert unknown.status is AnswerStatus.FAILED
    assert "stop_payment" in unknown.reason


def test_cache_runs_the_handler_once_under_concurrent_deliveries():
    cache, handler = AnswerCache(), SlowHandler()
    query = Query.from_json(query_json("PL1"))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: cache.answer(query, handler), range(8)))
    assert handler.calls == 1
    assert set(answers) == {Answer.not_found(reason="call 1")}


def test_cache_keeps_no_failure():
    cache, handler = AnswerCache(), SlowHandler(fail_first=True)
    query = Query.from_json(query_json("PL1"))
    with pytest.raises(TimeoutError):
        cache.answer(query, handler)
    assert cache.answer(query, handler) == Answer.not_found(reason="call 2")


def test_waiting_delivery_retries_when_the_first_one_fails():
    cache, handler = AnswerCache(), SlowHandler(fail_first=True)
    query = Query.from_json(query_json("PL1"))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cache.answer, query, handler)
        time.sleep(0.01)
        second = pool.submit(cache.answer, query, handler)
        with pytest.raises(TimeoutError):
            first.result()
        assert second.result() == Answer.not_found(reason="call 2")


def test_cache_is_bounded():
    cache, handler = AnswerCache(max_entries=2), SlowHandler()
    queries = [Query.from_json(query_json("PL1", query_id=f"q-{n}")) for n in range(3)]
    for query in queries:
        cache.answer(query, handler)
    cache.answer(queries[2], handler)
    assert handler.calls == 3
    cache.answer(queries[0], handler)  # the oldest was dropped
    assert handler.calls == 4
