"""Which Celery queue carries a push: its partner's (`Partner.push_queue`), so slow partners
never hold up fast ones.

A push holds one worker thread for as long as the partner's webhook takes to reply. A partner
that answers in 2 s, asked sixteen times at once, took every thread of two workers, and a fast
partner's pushes waited behind it: its queries' wait between relay and pickup went from 93 ms
to 1.2 s. A partner registered as slow (`PushQueue.SLOW`, `partner_set_push_queue`) is pushed
through the `push_slow` queue, which only workers started with `-Q push_slow` serve; the
default workers (`-Q celery`) keep their threads for the fast partners and the periodic tasks.
A worker started without `-Q` (the embedded default, one process) serves both queues, since
both are in `CELERY_TASK_QUEUES`.

The choice is made in one place, the Celery router `push_route` (`CELERY_TASK_ROUTES`), so
every publish of a push (the outbox relay, the redispatch sweep, any caller to come) lands in
its partner's queue without naming it. A retry stays in the queue its message came from.
"""

from __future__ import annotations

from typing import Any

from exchange.models import Query
from partners.choices import PushQueue

PUSH_TASK = "gateway.push_query"


def push_queue_of(query_id: str) -> str:
    """The queue of the query's partner; the default one for a query that is gone (its task
    then finds nothing to do, wherever it runs)."""
    queue = Query.objects.filter(pk=query_id).values_list("partner__push_queue", flat=True).first()
    return queue or PushQueue.DEFAULT


def push_route(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], options: dict[str, Any], **_: Any
) -> dict[str, str] | None:
    """Celery router: a push goes to its partner's queue. A message already given a queue (a
    retry, which keeps its own; a caller that chose) is left alone, as is any other task."""
    if name != PUSH_TASK or not args:
        return None
    if options.get("queue") or options.get("routing_key"):
        return None
    return {"queue": push_queue_of(str(args[0]))}
