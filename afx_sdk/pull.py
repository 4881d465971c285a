"""The pull loop: long-poll the inbox, answer each query, keep going through gateway outages.

Nothing is lost when the loop or the gateway stops: the gateway leases what it hands out for
a short while (10 s) and hands it out again if no answer came, and the `AnswerCache` makes
that second delivery get the first delivery's answer. While a handler works, the loop renews
the lease of its query every few seconds (`renew_every`), so a slow handler keeps its query,
and a killed adapter's queries come back within the lease.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_all
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .errors import AnswerConflict, GatewayError, QueryClosed
from .handler import AnswerCache, Handler
from .models import Answer, Query

logger = logging.getLogger(__name__)

STOP_CHECK_SECONDS = 0.1
# A third of the gateway's 10 s lease: a renewal may fail twice before the lease runs out.
RENEW_EVERY_SECONDS = 3.0


class InboxClient(Protocol):
    """The two calls the loop needs; `GatewayClient` is the real one."""

    def inbox(self, *, wait: float, limit: int) -> list[Query]: ...

    def answer(self, query_id: str, answer: Answer) -> dict[str, Any]: ...


@runtime_checkable
class LeaseClient(Protocol):
    """A client that can also renew leases (`GatewayClient` can); the loop renews through it."""

    def renew_leases(self, query_ids: list[str]) -> list[str]: ...


@dataclass
class Backoff:
    """Capped exponential backoff with jitter: pauses spread out, so adapters do not reconnect in step.

    The n-th consecutive failure waits between half and all of `min(cap, base * 2**(n-1))`.
    """

    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** max(failures - 1, 0))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


class PullLoop:
    """Polls, hands each query to the handler on a small thread pool, and posts the answers.

    It leases only what it can start at once (`concurrency` at most in hand, `limit` at most
    per poll) and polls again as soon as a slot frees: a query never waits in the adapter
    behind a slow one of its batch, and what it has not leased stays free for another
    instance of the adapter. `run()` returns once `stop` is set: a long poll in progress is
    abandoned (its queries come back after their lease), queries being handled are finished
    and answered. While queries are in hand, their leases are renewed every `renew_every`
    seconds, if the client can (`LeaseClient`); a failed renewal is logged and tried again.
    """

    def __init__(
        self,
        client: InboxClient,
        handler: Handler,
        *,
        wait: float = 25,
        limit: int = 10,
        concurrency: int = 4,
        backoff: Backoff | None = None,
        stop: threading.Event | None = None,
        answers: AnswerCache | None = None,
        on_answer: Callable[[Query, Answer], None] | None = None,
        renew_every: float = RENEW_EVERY_SECONDS,
    ) -> None:
        self.client = client
        self.handler = handler
        self.wait = wait
        self.limit = limit
        self.concurrency = concurrency
        self.backoff = backoff or Backoff()
        self.stop = stop or threading.Event()
        self.answers = answers or AnswerCache()
        self.on_answer = on_answer
        self.renew_every = renew_every
        self._held: set[str] = set()  # ids of the queries in hand, whose leases are renewed
        self._held_lock = threading.Lock()

    def run(self) -> None:
        finished = threading.Event()
        renewer = threading.Thread(
            target=self._renew_until, args=(finished,), name="afx-pull-renew", daemon=True
        )
        if isinstance(self.client, LeaseClient):
            renewer.start()
        try:
            self._poll_and_hand_out()
        finally:
            finished.set()

    def _poll_and_hand_out(self) -> None:
        failures = 0
        in_hand: set[Future[None]] = set()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="afx-pull") as pool:
            while not self.stop.is_set():
                in_hand = {future for future in in_hand if not future.done()}
                free = self.concurrency - len(in_hand)
                if free <= 0:
                    wait_all(in_hand, timeout=STOP_CHECK_SECONDS, return_when=FIRST_COMPLETED)
                    continue
                try:
                    queries = self._poll(min(self.limit, free))
                except GatewayError as error:
                    failures += 1
                    delay = self.backoff.delay(failures)
                    logger.warning("Inbox poll failed (%s); retrying in %.1f s.", error, delay)
                    self.stop.wait(delay)
                    continue
                failures = 0
                with self._held_lock:
                    self._held.update(query.id for query in queries)
                in_hand.update(pool.submit(self._process, query) for query in queries)

    def _renew_until(self, finished: threading.Event) -> None:
        """Every `renew_every` seconds until `finished`, renew the leases of the queries in hand."""
        assert isinstance(self.client, LeaseClient)
        while not finished.wait(self.renew_every):
            with self._held_lock:
                held = sorted(self._held)
            if not held:
                continue
            try:
                self.client.renew_leases(held)
            except GatewayError as error:
                logger.warning("Renewing %d leases failed (%s); trying again.", len(held), error)

    def _poll(self, limit: int) -> list[Query]:
        """One long poll on a helper thread, so that a stop request is noticed within 0.1 s."""
        result: Future[list[Query]] = Future()

        def poll() -> None:
            try:
                result.set_result(self.client.inbox(wait=self.wait, limit=limit))
            except BaseException as error:
                result.set_exception(error)

        threading.Thread(target=poll, name="afx-pull-poll", daemon=True).start()
        while not self.stop.is_set():
            try:
                return result.result(timeout=STOP_CHECK_SECONDS)
            except FutureTimeout:
                continue
        return []

    def _process(self, query: Query) -> None:
        try:
            self._answer(query)
        finally:
            with self._held_lock:
                self._held.discard(query.id)

    def _answer(self, query: Query) -> None:
        if self.stop.is_set():
            return  # not started yet: leave it to its lease, so stopping is not held up
        try:
            answer = self.answers.answer(query, self.handler)
        except Exception as error:
            # The type only: an exception's text may quote the data the handler was reading.
            logger.warning("Handler raised %s on query %s; it comes back.", type(error).__name__, query.id)
            return
        try:
            self.client.answer(query.id, answer)
        except AnswerConflict:
            logger.warning("Query %s already holds a different answer; the gateway kept the first.", query.id)
            return
        except QueryClosed:
            logger.info("Query %s closed before its answer arrived.", query.id)
            return
        except GatewayError as error:
            logger.warning("Answer to query %s not delivered (%s); it will come back.", query.id, error)
            return
        if self.on_answer is not None:
            self.on_answer(query, answer)
