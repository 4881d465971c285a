"""Starting a trace: follow the money of a case from an answered lookup or from an account.

Police of the case's unit only (anybody else meets the `NotFound` of a missing case); the
case must be open. The trace's first query is sent here, as the officer; the rest are sent
by the engine (`exchange.traces.engine`) as the answers come in, still as this officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db import transaction
from django.utils.dateparse import parse_datetime

from audit.choices import Outcome
from audit.services import event_record
from core.actors import Actor
from core.errors import Invalid
from exchange.access import access_case_by_id, access_query_by_id, acting_person
from exchange.choices import QueryStatus
from exchange.models import Case, Query, Trace
from exchange.querysets import CHANGE, VIEW
from exchange.sending import CaseClosed
from exchange.traces.audit_actions import TraceAction
from exchange.traces.engine import trace_begin
from exchange.traces.progress import trace_settle

MAX_TIERS = 5
LOOKUP_KIND = "order_lookup"


@dataclass(frozen=True)
class TraceRequest:
    """What an officer asks: where to start (an answered lookup of the case, or an account,
    with the amount and time the money arrived with for a tier-1 stop-payment) and how far
    to follow."""

    case_id: UUID | str
    from_query: UUID | str | None = None
    account_number: str | None = None
    amount: Decimal | None = None
    transaction_at: datetime | None = None
    max_tiers: int = MAX_TIERS
    start_time: datetime | None = None
    min_amount: Decimal = Decimal("0")
    stop_payments: bool = False

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        if (self.from_query is None) == (self.account_number is None):
            errors["from_query"] = ["Give either from_query or account_number."]
        if not 1 <= self.max_tiers <= MAX_TIERS:
            errors["max_tiers"] = [f"From 1 to {MAX_TIERS}."]
        if self.min_amount < 0:
            errors["min_amount"] = ["Not negative."]
        if errors:
            raise Invalid("The trace request is not valid.", fields=errors)


def _start_account(actor: Actor, case: Case, request: TraceRequest) -> tuple[str, Query | None]:
    """The tier-1 account: the officer's, or the one the case's answered lookup paid into."""
    if request.from_query is None:
        assert request.account_number is not None
        return request.account_number, None
    source = access_query_by_id(actor, request.from_query, VIEW)
    document = source.answer_document() if source.status == QueryStatus.ANSWERED else None
    if source.case_id != case.pk or source.kind != LOOKUP_KIND or not document:
        raise Invalid(
            "A trace starts from an answered order lookup of its case.",
            fields={"from_query": ["Not an answered order lookup of this case."]},
        )
    return str(document["account_number"]), source


def trace_start(*, actor: Actor, request: TraceRequest) -> Trace:
    """Start a trace in a case of the actor's unit and ask its first account's bank."""
    reached = access_case_by_id(actor, request.case_id, CHANGE)
    account_number, source = _start_account(actor, reached, request)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=reached.pk)
        trace = _begin(actor, case, request, account_number, source) if case.is_open else None
        if trace is None:
            # Committed with this block, before the refusal is raised.
            event_record(
                actor=actor,
                action=TraceAction.TRACE_STARTED,
                outcome=Outcome.DENIED,
                target=case,
                case_id=str(case.pk),
                details={"reason": CaseClosed.code},
            )
    if trace is None:
        refusal = CaseClosed("The case is closed; no trace can start in it.")
        refusal.audited = True
        raise refusal
    return trace


def _begin(
    actor: Actor, case: Case, request: TraceRequest, account_number: str, source: Query | None
) -> Trace:
    """The trace, its first account asked, its start recorded (counts and indexes only)."""
    start_time = request.start_time
    if start_time is None and source is not None:
        paid_at = (source.answer_document() or {}).get("paid_at")
        start_time = parse_datetime(paid_at) if paid_at else None
    trace = Trace.objects.create(
        case=case,
        started_by=acting_person(actor),
        source_query=source,
        max_tiers=request.max_tiers,
        start_time=start_time,
        min_amount=request.min_amount,
        stop_payments=request.stop_payments,
        start_amount=request.amount,
        start_transaction_at=request.transaction_at,
    )
    node = trace_begin(trace, account_number=account_number)
    event_record(
        actor=actor,
        action=TraceAction.TRACE_STARTED,
        target=trace,
        case_id=str(case.pk),
        details={
            "start_index": node.account_index.hex() if node.account_index else "",
            "from_query": str(source.pk) if source else "",
            "max_tiers": trace.max_tiers,
            "stop_payments": trace.stop_payments,
            "queries": trace.queries.count(),
        },
    )
    trace_settle(trace.pk)
    return trace
