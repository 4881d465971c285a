"""What a platform's engineers implement: one `Handler` per request kind, `query in, answer out`.

The gateway may deliver a query more than once (a push retried after a timeout, a pull
lease that ran out before the answer arrived), so handlers are wrapped in an `AnswerCache`
that runs a handler at most once per query id and replays its answer afterwards: a
re-delivery gets the same answer, never a conflicting one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Protocol

from .models import Answer, Query


class Handler(Protocol):
    """Answers one query. Raise to signal a transient fault: the query is delivered again later.

    Return `Answer.not_found()` for data the platform does not hold and `Answer.failed()` for a
    definite refusal; both are final.
    """

    def handle(self, query: Query) -> Answer: ...


class HandlerRegistry:
    """Routes each query to the handler of its kind, so one adapter can serve several kinds.

    A kind nobody registered is answered `failed` rather than raising: retrying cannot help.
    """

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def handle(self, query: Query) -> Answer:
        handler = self._handlers.get(query.kind)
        if handler is None:
            return Answer.failed(reason=f"This adapter does not answer {query.kind} queries.")
        return handler.handle(query)


class AnswerCache:
    """Runs the handler once per query id, even under concurrent deliveries, and remembers the answer.

    Only answers are cached: a handler that raises leaves nothing behind, so the next delivery
    tries again. The oldest entries are dropped past `max_entries`; by then their queries are
    long past their deadline.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, Future[Answer]] = OrderedDict()

    def answer(self, query: Query, handler: Handler) -> Answer:
        with self._lock:
            pending = self._answers.get(query.id)
            owner = pending is None
            if pending is None:
                pending = self._answers[query.id] = Future()
                while len(self._answers) > self._max_entries:
                    self._answers.popitem(last=False)
        if not owner:
            try:
                return pending.result()
            except Exception:
                # The first delivery's handler raised; this delivery gets its own attempt.
                return self.answer(query, handler)
        try:
            answer = handler.handle(query)
        except BaseException as error:
            with self._lock:
                if self._answers.get(query.id) is pending:
                    del self._answers[query.id]
            pending.set_exception(error)
            raise
        pending.set_result(answer)
        return answer
