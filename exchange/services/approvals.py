"""The second person: a supervisor approves or rejects a query that waits, and a query is cancelled.

A freeze (and a stop-payment, where the unit's policy asks it) waits as `awaiting_approval`
and never leaves until a supervisor of the unit approves it; the officer who asked cannot
approve their own (two people). Approving re-checks the kind's rule (the stop limit, a
freeze still in force) and that the case is still open, since time passed since the
submission, and starts the query's deadline afresh. Rejection and cancellation close the
query before it is answered; a closed query is neither pushed nor offered in an inbox
(both work on open statuses only).
Every act, and every refusal of one, is audited.
"""

from __future__ import annotations

from uuid import UUID

from django.db import models, transaction
from django.utils import timezone

from audit.choices import Outcome
from audit.services import event_record
from core.actors import Actor, acting_role
from core.errors import Conflict, DomainError, Forbidden, Invalid
from core.roles import Role
from exchange import states
from exchange.access import access_query_by_id
from exchange.audit_actions import ExchangeAction
from exchange.choices import OPEN_QUERY_STATUSES, QueryStatus
from exchange.delivery.outbox import outbox_enqueue
from exchange.kinds import spec_of
from exchange.models import Query
from exchange.querysets import APPROVE, CHANGE
from exchange.sending import sending_refusal
from exchange.traces.progress import query_closed
from partners.choices import Delivery

REJECTED = "rejected"
CANCELLED = "cancelled"
CANCELLABLE = frozenset({*OPEN_QUERY_STATUSES, QueryStatus.AWAITING_APPROVAL})


class RejectionReason(models.TextChoices):
    """Why a supervisor rejects: a code, never free text, which could name people."""

    INSUFFICIENT_GROUNDS = "insufficient_grounds", "The grounds do not justify it"
    WRONG_DETAILS = "wrong_details", "The account, name, amount or time is wrong"
    DUPLICATE = "duplicate", "Already asked in this case"
    NO_DECISION = "no_decision", "No freeze decision backs it"
    NOT_NEEDED = "not_needed", "No longer needed"


class OwnRequest(Forbidden):
    code = "own_request"


class NotYourRequest(Forbidden):
    code = "not_your_request"


class NotAwaitingApproval(Conflict):
    code = "not_awaiting_approval"


class NotCancellable(Conflict):
    code = "not_cancellable"


def _locked(query: Query) -> Query:
    return Query.objects.select_for_update(of=("self",)).select_related("case", "partner").get(pk=query.pk)


def _refused(actor: Actor, query: Query, action: str, refusal: DomainError) -> DomainError:
    """Record the refusal of `action` on `query` (in the caller's transaction, which must
    commit: the caller raises it after), and mark it audited."""
    event_record(
        actor=actor,
        action=action,
        outcome=Outcome.DENIED,
        target=query,
        case_id=str(query.case_id),
        details={"kind": query.kind, "status": query.status, "code": refusal.code},
    )
    refusal.audited = True
    return refusal


def _close(
    actor: Actor,
    query: Query,
    to: str,
    reason: str,
    action: str,
    details: dict[str, object],
    *,
    outcome: Outcome = Outcome.ALLOWED,
) -> None:
    """Close `query` before it is answered (moved `to` refused or cancelled, for `reason`),
    record `action` with `details` (built by the caller, so before the move) and settle its
    trace; in the caller's transaction."""
    query.reason = reason
    query.save(update_fields=["reason", *states.move(query, to)])
    event_record(
        actor=actor,
        action=action,
        outcome=outcome,
        target=query,
        case_id=str(query.case_id),
        details=details,
    )
    query_closed(query)


def _approval_refusal(actor: Actor, query: Query, action: str) -> DomainError | None:
    if query.requested_by_id == getattr(actor, "pk", None):
        return _refused(actor, query, action, OwnRequest("You cannot approve or reject your own request."))
    if query.status != QueryStatus.AWAITING_APPROVAL:
        return _refused(actor, query, action, NotAwaitingApproval("This query is not awaiting approval."))
    return None


def query_approve(*, actor: Actor, query_id: UUID | str) -> Query:
    """Let a waiting query leave: pending, its deadline from now, pushed or in the inbox.

    Only a supervisor of the query's unit reaches it (`NotFound` for anybody else); the
    requester is refused (`own_request`). If the kind's rule now refuses it (a third stop,
    a freeze no longer in force) or the case was closed, it is refused instead, committed,
    and the refusal raised.
    """
    reached = access_query_by_id(actor, query_id, APPROVE)
    with transaction.atomic():
        query = _locked(reached)
        refusal = _approval_refusal(actor, query, ExchangeAction.QUERY_APPROVED)
        if refusal is None:
            refusal = _approve(actor, query)
    if refusal is not None:
        raise refusal
    return query


def _approve(actor: Actor, query: Query) -> DomainError | None:
    spec = spec_of(query)
    refused = sending_refusal(
        unit=query.case.unit, case=query.case, partner=query.partner, spec=spec, query=query
    )
    if refused is not None:
        _close(
            actor,
            query,
            QueryStatus.REFUSED,
            refused.code,
            ExchangeAction.QUERY_REFUSED,
            {"kind": query.kind, "partner": query.partner.code, "reason": refused.code},
            outcome=Outcome.DENIED,
        )
        refused.audited = True
        return refused
    now = timezone.now()
    query.deadline = now + spec.default_deadline
    query.save(update_fields=["deadline", *states.move(query, QueryStatus.PENDING, at=now)])
    event_record(
        actor=actor,
        action=ExchangeAction.QUERY_APPROVED,
        target=query,
        case_id=str(query.case_id),
        details={"kind": query.kind, "partner": query.partner.code, "requested_by": query.requested_by_id},
    )
    if query.partner.delivery == Delivery.PUSH:
        outbox_enqueue(query)
    return None


def query_reject(*, actor: Actor, query_id: UUID | str, reason: str) -> Query:
    """Refuse a waiting query for good (`refused`, reason `rejected`; the code is audited).
    The same reach and the same refusals as an approval."""
    if reason not in RejectionReason.values:
        raise Invalid(
            "Unknown rejection reason.", fields={"reason": [f"One of {', '.join(RejectionReason)}."]}
        )
    reached = access_query_by_id(actor, query_id, APPROVE)
    with transaction.atomic():
        query = _locked(reached)
        refusal = _approval_refusal(actor, query, ExchangeAction.QUERY_REJECTED)
        if refusal is None:
            _close(
                actor,
                query,
                QueryStatus.REFUSED,
                REJECTED,
                ExchangeAction.QUERY_REJECTED,
                {"kind": query.kind, "reason": reason},
            )
    if refusal is not None:
        raise refusal
    return query


def _cancel_refusal(actor: Actor, query: Query) -> DomainError | None:
    action = ExchangeAction.QUERY_CANCELLED
    if query.requested_by_id != getattr(actor, "pk", None) and acting_role(actor) != Role.SUPERVISOR:
        return _refused(
            actor, query, action, NotYourRequest("Only its requester or a supervisor cancels a query.")
        )
    if query.status not in CANCELLABLE:
        return _refused(actor, query, action, NotCancellable(f"A {query.status} query cannot be cancelled."))
    if query.dispatched_at is not None and spec_of(query).signed_by_unit:
        # The bank holds the signed instruction and may have acted on it: a stop or a
        # freeze is ended by its term or a release, never recalled by a cancellation.
        return _refused(
            actor, query, action, NotCancellable("An instruction the bank has received cannot be cancelled.")
        )
    return None


def query_cancel(*, actor: Actor, query_id: UUID | str) -> Query:
    """Cancel a query before its answer: its requester, or a supervisor of its unit, while it
    awaits approval, waits to leave or is with the partner (a signed instruction only until
    it leaves); a late answer is then refused."""
    reached = access_query_by_id(actor, query_id, CHANGE)
    with transaction.atomic():
        query = _locked(reached)
        refusal = _cancel_refusal(actor, query)
        if refusal is None:
            _close(
                actor,
                query,
                QueryStatus.CANCELLED,
                CANCELLED,
                ExchangeAction.QUERY_CANCELLED,
                {"kind": query.kind, "was": query.status},
            )
    if refusal is not None:
        raise refusal
    return query
