"""Acting on one account of a trace: a stop-payment or a freeze sent to the account's bank.

An officer reading the fund-flow graph stops the money where it is now, node by node, rather
than only through the trace's `stop_payments` option at its start. The act goes through the
normal submission path (`CaseSubmitter`) as the officer who clicks, into the trace's case, and
is placed in the trace (its tier, the node's own query as parent), so grants, the case's state,
the stop limit of two per account and case, and a freeze's supervisor approval decide exactly
as for a query sent by hand; the submitted query is audited by that path (`stop_payment_requested`,
`freeze_requested`, or `query_refused`).

Police of the trace's unit only: anybody else meets the `NotFound` of a missing trace, and a
node of another trace is missing too. The node's account, its holder (from the bank's answer)
and the amount come from the trace's own rows, never from the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from audit.access import access_object
from audit.denials import denial_record
from core.actors import Actor
from core.errors import Conflict, Invalid, NotFound
from exchange.choices import QueryStatus
from exchange.kinds.fields import FREEZE_MAX_DAYS
from exchange.models import Query, Trace, TraceAccount
from exchange.querysets import CHANGE
from exchange.services.queries import Placement, Submission, case_submitter
from exchange.traces.engine import STOP_KIND, _arrival
from exchange.traces.progress import OUTSTANDING_STATUSES

FREEZE_KIND = "freeze"
NODE_ACT_KINDS = (STOP_KIND, FREEZE_KIND)


@dataclass(frozen=True)
class NodeAct:
    """What an officer asks of one node: a stop-payment, or a freeze under a decision (its
    reference and period, which only a freeze takes)."""

    kind: str
    decision_reference: str = ""
    period_days: int = FREEZE_MAX_DAYS

    def __post_init__(self) -> None:
        if self.kind not in NODE_ACT_KINDS:
            raise Invalid("Unknown act.", fields={"kind": [f"One of {', '.join(NODE_ACT_KINDS)}."]})
        if self.kind == FREEZE_KIND and not self.decision_reference:
            raise Invalid(
                "A freeze names its decision.", fields={"decision_reference": ["A freeze needs it."]}
            )


def trace_node_stop(*, actor: Actor, trace_id: UUID | str, node_id: UUID | str, act: NodeAct) -> Query:
    """Send the act for the node's account to the node's bank. A refusal by the gateway (no
    grant, a closed case, the stop limit) is committed as a refused query and then raised,
    as `query_submit` does; an act of the same kind still open on the node is a `Conflict`."""
    trace = access_object(actor=actor, model=Trace, action=CHANGE, pk=trace_id)
    _node_reached(actor, trace, node_id)
    with transaction.atomic():
        node = _node(trace, node_id)
        if _open_act(node, act.kind):
            raise Conflict("An act of this kind is already open on the account.", code="act_open")
        submitter = case_submitter(actor=actor, case_id=trace.case_id)
        assert node.bank is not None and node.query is not None
        submission = Submission(
            case_id=trace.case_id, kind=act.kind, partner=node.bank.code, input=_values(trace, node, act)
        )
        query, refusal = submitter.submit(submission, Placement(trace, node.tier, node.query))
        if act.kind == STOP_KIND:
            node.stop_query = query
            node.save(update_fields=["stop_query"])
    if refusal is not None:
        raise refusal
    return query


def _node_reached(actor: Actor, trace: Trace, node_id: UUID | str) -> None:
    """`NotFound` for a node that is not the trace's (missing, or another trace's, which may be
    another unit's), its denial recorded outside the act's transaction so it outlives it."""
    try:
        found = TraceAccount.objects.filter(trace=trace, pk=node_id).exists()
    except (ValueError, DjangoValidationError):
        found = False
    if not found:
        denial_record(
            actor=actor,
            target_type=TraceAccount._meta.label_lower,
            target_id=str(node_id),
            case_id=str(trace.case_id),
            details={"status": 404, "code": "not_found", "reason": "missing"},
        )
        raise NotFound("No such account in this trace.")


def _node(trace: Trace, node_id: UUID | str) -> TraceAccount:
    """The trace's node, locked (two clicks at once send one act), answered by its bank."""
    node = (
        TraceAccount.objects.select_for_update(of=("self",))
        .select_related("bank", "query")
        .get(trace=trace, pk=node_id)
    )
    if node.bank is None or node.query is None or node.query.status != QueryStatus.ANSWERED:
        raise Conflict("The account's bank has not answered for it yet.", code="node_not_answered")
    return node


def _open_act(node: TraceAccount, kind: str) -> bool:
    if kind == STOP_KIND:
        return node.stop_query is not None and node.stop_query.status in OUTSTANDING_STATUSES
    return Query.objects.filter(
        parent=node.query, trace_id=node.trace_id, kind=kind, status__in=OUTSTANDING_STATUSES
    ).exists()


def _values(trace: Trace, node: TraceAccount, act: NodeAct) -> dict[str, Any]:
    """The kind's input, from the trace's rows: the account, the holder its bank named, and
    (a stop) the transfer that brought the money, as the trace's own stops cite it, or (a
    freeze) the balance the bank reported."""
    assert node.query is not None
    holder = (node.query.answer_document() or {}).get("holder_name", "")
    values: dict[str, Any] = {"account_number": node.account, "holder_name": holder}
    if act.kind == STOP_KIND:
        amount, at = _arrival(trace, node)
        if amount is None or at is None:
            raise Conflict("No transfer says how the money came to this account.", code="no_arrival")
        return {**values, "amount": str(amount), "transaction_at": at.isoformat()}
    if not node.balance or node.balance <= Decimal("0"):
        raise Conflict("The account held nothing when its bank answered.", code="nothing_held")
    return {
        **values,
        "amount": str(node.balance),
        "decision_reference": act.decision_reference,
        "period_days": act.period_days,
    }
