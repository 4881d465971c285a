"""The inbox of pull partners: their adapter leases open queries for a while.

An unanswered lease runs out and the query is offered again; the deadline still closes it.
The lease is short (`LEASE`, 10 s), so a killed adapter's queries come back within seconds;
an adapter still working on a query renews its lease (`inbox_renew`, the SDK's `PullLoop`
does it every few seconds), so a slow handler keeps it and is not leased twice.
What an inbox holds is what its caller may answer (`QueryQuerySet.restrict`, `ANSWER`):
the open queries addressed to the adapter's partner, and nothing for anybody else.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.denials import denial_record
from audit.services import event_record
from core.actors import Actor
from exchange import states
from exchange.audit_actions import ExchangeAction
from exchange.choices import OPEN_QUERY_STATUSES, QueryStatus
from exchange.models import Query
from exchange.querysets import ANSWER

LEASE = timedelta(seconds=10)


def _leasable(adapter: Actor, now: datetime) -> QuerySet[Query]:
    return (
        Query.objects.restrict(adapter, ANSWER)
        .filter(status__in=OPEN_QUERY_STATUSES, deadline__gt=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    )


def inbox_lease(*, adapter: Actor, limit: int) -> list[Query]:
    """Lease up to `limit` open queries of the adapter's partner, oldest first, for `LEASE`.

    A plain read first: long polls ask many times a second, and most of the time there is
    nothing, so no write transaction is opened for nothing.
    """
    now = timezone.now()
    if not _leasable(adapter, now).exists():
        return []
    with transaction.atomic():
        candidates = (
            _leasable(adapter, now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("partner", "case")
            .order_by("created_at")[:limit]
        )
        leased = list(candidates)
        for query in leased:
            first = query.status == QueryStatus.PENDING
            changed = states.move(query, QueryStatus.DISPATCHED, at=now) if first else []
            query.lease_until = now + LEASE
            query.delivery_attempts += 1  # the row is locked: no other lease counts meanwhile
            query.save(update_fields=[*changed, "lease_until", "delivery_attempts"])
            if first:
                event_record(
                    actor=adapter,
                    action=ExchangeAction.QUERY_DISPATCHED,
                    target=query,
                    case_id=str(query.case_id),
                    details={"partner": adapter.partner.code, "delivery": "pull"},
                )
    return leased


def inbox_renew(*, adapter: Actor, query_ids: Collection[UUID]) -> tuple[list[UUID], datetime]:
    """Renew, for another `LEASE`, the leases the adapter's partner still holds on these queries;
    returns the ids renewed and the new end of their leases.

    Only open queries addressed to the adapter's partner (`restrict`, `ANSWER`) whose lease has
    not run out are renewed: a lapsed lease may already be another instance's, and a closed
    query needs nobody. The others are left alone and not named. An id of another partner's
    query, or of none, is a denial audited as `access_object` audits it, one per id, after the
    renewal's transaction (a rollback must not take the record with it).
    """
    now = timezone.now()
    until = now + LEASE
    wanted = set(query_ids)
    with transaction.atomic():
        held = (
            Query.objects.restrict(adapter, ANSWER)
            .filter(pk__in=wanted, status__in=OPEN_QUERY_STATUSES, deadline__gt=now, lease_until__gte=now)
            .select_for_update(skip_locked=True, of=("self",))
        )
        renewed = list(held.values_list("pk", flat=True))
        Query.objects.filter(pk__in=renewed).update(lease_until=until)
    _record_out_of_scope(adapter, wanted - set(renewed))
    return renewed, until


def _record_out_of_scope(adapter: Actor, query_ids: set[UUID]) -> None:
    """Audit the ids that are not the partner's queries (another's, or none): one denial each."""
    if not query_ids:
        return
    own = set(Query.objects.restrict(adapter, ANSWER).filter(pk__in=query_ids).values_list("pk", flat=True))
    others = dict(Query.objects.filter(pk__in=query_ids - own).values_list("pk", "case_id"))
    for query_id in sorted(query_ids - own, key=str):
        case_id = others.get(query_id)
        denial_record(
            actor=adapter,
            target_type=Query._meta.label_lower,
            target_id=str(query_id) if case_id else "",
            case_id=str(case_id or ""),
            details={"status": 404, "code": "not_found", "reason": "out_of_scope" if case_id else "missing"},
        )
