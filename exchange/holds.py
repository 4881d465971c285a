"""The gateway's side of stops and freezes: the stop limit, and holds as the banks' answers set them.

The 2016 rules give the bank the check and the stop; the term and the limit are the
gateway's to keep. An account may be stopped at most twice in all for one case, so a
third stop-payment is refused before it leaves (`stop_limit_reached`). A stop the bank
made is a `Hold` of 48 hours from the bank's own stop time; a freeze is a hold for its
decision's period, and it replaces the stop-payments of its account in its case. A renewal
lengthens the freeze, a release ends it. The kinds' hooks (`refusal`, `on_answer`) call
these functions; every change of a hold is audited here, naming the hold, never the account.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from audit.services import event_record
from core.actors import SystemActor
from core.locks import transaction_lock
from exchange.audit_actions import ExchangeAction
from exchange.choices import OPEN_QUERY_STATUSES, HoldKind, HoldStatus, QueryStatus
from exchange.models import Hold, Query
from privacy.choices import Kind
from privacy.selectors import blind_index_filter

STOP_TERM = timedelta(hours=48)
MAX_STOPS_PER_ACCOUNT_AND_CASE = 2
STOP_LIMIT_REACHED = "stop_limit_reached"
NO_ACTIVE_FREEZE = "no_active_freeze"
STOP_PAYMENT_KIND = "stop_payment"  # the request kind's name (`exchange.kinds.stop_payment`)
# Holds are changed by the banks' answers and by the clock, on the gateway's own authority.
SYSTEM = SystemActor("holds")

# A stop counts while it may hold money: on its way (or awaiting approval), answered with a
# stop (its hold exists, whatever became of it since), or delivered to the bank and then left
# without an answer (expired): the bank may have stopped the money all the same. Refused ones,
# ones cancelled before they left, and answers that did not stop (not matched, refused by the
# bank, failed) do not.
_STOP_PENDING = {*OPEN_QUERY_STATUSES, QueryStatus.AWAITING_APPROVAL}
_DELIVERED_UNANSWERED = {QueryStatus.EXPIRED, QueryStatus.CANCELLED}


def _lock_account_in_case(query: Query) -> None:
    """Serialize the rule's check for one account of one case until the transaction ends.

    A PostgreSQL advisory lock keyed by the case and the account's blind index (keyed, so
    the key reveals nothing of the account): two submissions for the same account wait for
    each other, others pass. A lock on the case row would meet the shared lock each
    submission already holds on it (`_case_open_locked`) and deadlock two concurrent ones.
    SQLite's IMMEDIATE transactions serialize writers anyway.
    """
    index = Query._meta.get_field("subject_index").compute(query.subject, Kind.ACCOUNT)
    transaction_lock("holds", str(query.case_id), index or b"")


def _same_account(query: Query) -> Q:
    return blind_index_filter(Query, "subject", query.subject, kind=Kind.ACCOUNT)


def stop_refusal(query: Query) -> str | None:
    """`stop_limit_reached` when the case already has two stops of this account that count."""
    _lock_account_in_case(query)
    counted = (
        Query.objects.filter(case_id=query.case_id, kind=STOP_PAYMENT_KIND)
        .filter(_same_account(query))
        .filter(
            Q(status__in=_STOP_PENDING)
            | Q(status=QueryStatus.ANSWERED, hold__isnull=False)
            | Q(status__in=_DELIVERED_UNANSWERED, dispatched_at__isnull=False)
        )
        .exclude(pk=query.pk)
    )
    return STOP_LIMIT_REACHED if counted.count() >= MAX_STOPS_PER_ACCOUNT_AND_CASE else None


def _holds_of_account(query: Query, kind: str) -> QuerySet[Hold]:
    """The case's holds of `kind` on the query's account at the query's bank: a renewal or a
    release answered by another bank changes nothing of a freeze it does not hold."""
    return Hold.objects.filter(case_id=query.case_id, kind=kind, bank_id=query.partner_id).filter(
        blind_index_filter(Hold, "account", query.subject)
    )


def active_freeze(query: Query) -> Hold | None:
    """The freeze in force on the query's account in its case, if any (the latest)."""
    return (
        _holds_of_account(query, HoldKind.FREEZE)
        .filter(status=HoldStatus.ACTIVE)
        .order_by("-started_at")
        .first()
    )


def freeze_refusal(query: Query) -> str | None:
    """`no_active_freeze` for a renewal or a release when no freeze of the case is in force."""
    _lock_account_in_case(query)
    return None if active_freeze(query) is not None else NO_ACTIVE_FREEZE


def _record(hold: Hold, action: str, **details: Any) -> None:
    event_record(
        actor=SYSTEM,
        action=action,
        target=hold,
        case_id=str(hold.case_id),
        details={"hold": str(hold.pk), "kind": hold.kind, **details},
    )


def hold_start(
    query: Query, *, kind: str, amount: Decimal, started_at: datetime, term: timedelta, partial: bool = False
) -> Hold:
    """The hold the bank's answer to `query` established, in the answer's transaction."""
    hold = Hold.objects.create(
        case_id=query.case_id,
        query=query,
        bank_id=query.partner_id,
        kind=kind,
        account=query.subject,
        amount=amount,
        partial=partial,
        started_at=started_at,
        expires_at=started_at + term,
    )
    _record(
        hold,
        ExchangeAction.HOLD_STARTED,
        amount=str(amount),
        partial=partial,
        expires_at=hold.expires_at.isoformat(),
    )
    return hold


def stops_replace(freeze: Hold) -> int:
    """End every stop-payment in force on the freeze's account in its case as `replaced`."""
    stops = list(
        _holds_of_account(freeze.query, HoldKind.STOP_PAYMENT)
        .filter(status=HoldStatus.ACTIVE)
        .select_for_update()
    )
    for stop in stops:
        stop.status, stop.ended_at = HoldStatus.REPLACED, freeze.started_at
        stop.save(update_fields=["status", "ended_at"])
        _record(stop, ExchangeAction.HOLD_REPLACED, by=str(freeze.pk))
    return len(stops)


def freeze_renew(query: Query, *, days: int) -> Hold | None:
    """Lengthen the freeze in force by `days`, warned again before its new end; None when
    none is in force any more (it expired while the renewal waited: the bank's word stands
    in the query's answer)."""
    freeze = active_freeze(query)
    if freeze is None:
        return None
    freeze.expires_at += timedelta(days=days)
    freeze.warned_at = None
    freeze.save(update_fields=["expires_at", "warned_at"])
    _record(freeze, ExchangeAction.HOLD_RENEWED, days=days, expires_at=freeze.expires_at.isoformat())
    return freeze


def freeze_release(query: Query, *, at: datetime) -> Hold | None:
    """End the freeze in force as `released` at the bank's release time; None when none is."""
    freeze = active_freeze(query)
    if freeze is None:
        return None
    freeze.status, freeze.ended_at = HoldStatus.RELEASED, at
    freeze.save(update_fields=["status", "ended_at"])
    _record(freeze, ExchangeAction.HOLD_RELEASED, by_query=str(query.pk))
    return freeze
