"""The outbox: a query to push leaves in the transaction that created it, and is relayed after.

The outbox row is written with the query; once the transaction commits it is handed to
Celery (`push.push_query`). A sweeper re-sends rows never relayed (a crash between commit
and publish), so no query is lost on the way out. Relaying gives the query a pickup lease
(`push.PICKUP_LEASE`): one that no worker picked up by then is sent again by
`exchange.delivery.redispatch`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from exchange.choices import QueryStatus
from exchange.models import OutboxMessage, Query

from .push import PICKUP_LEASE, push_query

logger = logging.getLogger(__name__)

UNRELAYED_GRACE = timedelta(seconds=5)


def outbox_enqueue(query: Query) -> None:
    """Write the outbox row now; hand it to Celery once the transaction has committed."""
    message = OutboxMessage.objects.create(query=query)
    transaction.on_commit(lambda: relay_outbox_message(message.pk))


def relay_outbox_message(message_id: int) -> None:
    """Hand one outbox row to Celery and mark it relayed; the sweeper retries if this fails."""
    message = OutboxMessage.objects.filter(pk=message_id, relayed_at__isnull=True).first()
    if message is None:
        return
    OutboxMessage.objects.filter(pk=message_id).update(relay_attempts=F("relay_attempts") + 1)
    # Before the publish: a worker may take the query (and its attempt's lease) at once.
    Query.objects.filter(pk=message.query_id, status=QueryStatus.PENDING).update(
        lease_until=timezone.now() + PICKUP_LEASE
    )
    try:
        push_query.delay(str(message.query_id))
    except Exception as error:
        logger.warning(
            "Could not relay outbox message %s (%s); the sweeper will retry", message_id, type(error).__name__
        )
        return
    OutboxMessage.objects.filter(pk=message_id).update(relayed_at=timezone.now())


def relay_stale_outbox() -> int:
    """Relay outbox rows left unrelayed by a crash between commit and publish."""
    stale = OutboxMessage.objects.filter(
        relayed_at__isnull=True, created_at__lt=timezone.now() - UNRELAYED_GRACE
    )
    ids = list(stale.values_list("pk", flat=True)[:500])
    for message_id in ids:
        relay_outbox_message(message_id)
    return len(ids)
