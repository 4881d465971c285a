"""Celery tasks of the exchange. Messages carry query ids only, never personal data."""

from typing import Any

from celery import shared_task

from gateway import delivery


@shared_task(
    bind=True, name="gateway.push_query", acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def push_query(self: Any, query_id: str) -> None:
    """Deliver one query to a push partner; retried with jittered backoff until its deadline.

    Late acknowledgement: a worker killed mid-delivery leaves the message on the broker, and
    the next worker delivers again. Partners answer idempotently per query id, and the
    gateway ignores an identical second answer.
    """
    outcome = delivery.push_attempt(query_id)
    if not outcome.done:
        raise self.retry(countdown=outcome.retry_in)


@shared_task(name="gateway.relay_stale_outbox")
def relay_stale_outbox() -> int:
    return delivery.relay_stale_outbox()


@shared_task(name="gateway.expire_overdue_queries")
def expire_overdue_queries() -> int:
    return delivery.expire_overdue_queries()
