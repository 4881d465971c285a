"""Observes a query's round trip when its answer commits, and a deadline breach when its
expiry commits, without touching the exchange.

An answer or an expiry is saved through `exchange.states.move` and `Query.save()`; the
status the row had when it was loaded tells a new answer from a later save of an answered
query, so each is observed once, and only if its transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_init, post_save

from exchange.choices import ANSWER_STATUSES, QueryStatus
from exchange.models import Query

from .metrics import DEADLINE_BREACHES, QUERY_ROUND_TRIP

_LOADED_STATUS = "_observability_loaded_status"


def connect() -> None:
    post_init.connect(_remember_status, sender=Query, dispatch_uid="observability.query_status")
    post_save.connect(_observe_saved, sender=Query, dispatch_uid="observability.query_saved")


def _remember_status(sender: type[Query], instance: Query, **kwargs: Any) -> None:
    # A deferred status (`.only(...)` without it) is not in __dict__: nothing to remember.
    setattr(instance, _LOADED_STATUS, instance.__dict__.get("status"))


def _observe_saved(sender: type[Query], instance: Query, **kwargs: Any) -> None:
    before = getattr(instance, _LOADED_STATUS, None)
    setattr(instance, _LOADED_STATUS, instance.status)
    if instance.status == before:
        return
    if instance.status in ANSWER_STATUSES and before not in ANSWER_STATUSES and instance.answered_at:
        seconds = max(0.0, (instance.answered_at - instance.created_at).total_seconds())
        labels = {"kind": instance.kind, "status": instance.status}
        transaction.on_commit(
            lambda: QUERY_ROUND_TRIP.labels(partner=instance.partner.code, **labels).observe(seconds)
        )
    elif instance.status == QueryStatus.EXPIRED:
        kind = instance.kind
        transaction.on_commit(
            lambda: DEADLINE_BREACHES.labels(partner=instance.partner.code, kind=kind).inc()
        )
