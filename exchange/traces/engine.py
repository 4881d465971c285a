"""The trace engine: from each answered account, the next tier, asked of each account's bank.

It acts for the officer who started the trace: every query it sends goes through the normal
submission path (`query_submit_placed`) as that officer, into the trace's case, so grants,
the case's state and the officer's own access decide exactly as for a query sent by hand
(a refusal is a refused query, on its node). It runs inside the transaction of the answer
that found the accounts (`account_transfers`' `on_answer`), with the trace locked, so two
answers of one trace arriving at once never add the same account twice.

The rules, which the simulated bank's ledger repeats to check them (`Ledger.expected_trace`):
a transfer out of an answered account is an edge; a cash withdrawal has no target and asks
nothing; a transfer below the trace's threshold (`below_threshold`) or to a tier past
`max_tiers` (`tier_limit`) is not followed, nor one to an account no bank issues
(`unroutable_reason`); an account already asked gets the edge only, never a second query;
any other is asked of its bank, at the next tier, from the transfer's time (an account left
unasked for the transfer it was met by is asked when a transfer that passes reaches it).
A trace holds at most `MAX_ACCOUNTS` accounts and `MAX_TRANSFERS` transfers (`trace_limit` on
the account it stopped at), so a bank's answers cannot grow it without end.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime

from audit.choices import Outcome
from audit.services import event_record
from core.errors import DomainError, Invalid, NotFound
from exchange.audit_actions import ExchangeAction
from exchange.models import Query, Trace, TraceAccount, TraceTransfer
from exchange.routing import ROUTED_KIND, Router
from exchange.services.queries import Placement, Submission, query_submit_placed
from privacy.selectors import blind_index_filter

MAX_ACCOUNTS = 1000
# Transfers kept per trace: a graph an officer can read and the API can serve in one answer.
MAX_TRANSFERS = 20_000
STOP_KIND = "stop_payment"
CASH_WITHDRAWAL = "cash_withdrawal"
# Stop reasons of a node: why the trace went no further from it.
BELOW_THRESHOLD = "below_threshold"
TIER_LIMIT = "tier_limit"
TRACE_LIMIT = "trace_limit"
ACCESS_REFUSED = "access_refused"  # the officer or the unit may no longer act in the case
# The unit holds no grant of any kind to the bank, so the submission path does not even see
# it (`Invalid`, no query); a bank it holds another grant to refuses as a query (`no_grant`).
NO_GRANT = "no_grant"


def trace_begin(trace: Trace, *, account_number: str) -> TraceAccount:
    """The trace's tier-1 account, asked of its bank from the trace's start time."""
    route = Router().route(account_number)
    node = TraceAccount.objects.create(
        trace=trace,
        account=account_number,
        tier=1,
        bank=route.bank,
        unroutable_reason=route.unroutable_reason,
    )
    _ask(trace, node, parent=trace.source_query, window_start=trace.start_time)
    return node


def transfers_answered(query: Query, answer: dict[str, Any]) -> None:
    """Follow an answered account of a trace: its transfers, the next tier, its stop-payment."""
    if query.trace_id is None:
        return
    trace = Trace.objects.select_for_update(of=("self",)).select_related("started_by").get(pk=query.trace_id)
    node = TraceAccount.objects.select_related("bank").get(trace=trace, query=query)
    node.balance = answer["balance"]
    node.save(update_fields=["balance"])
    router = Router()
    room = MAX_TRANSFERS - trace.transfers.count()
    if len(answer["transfers"]) > room:
        node.stop_reason = TRACE_LIMIT  # its transfers past the trace's limit are not followed
        node.save(update_fields=["stop_reason"])
    edges = []
    for transfer in answer["transfers"][: max(room, 0)]:
        target, asking = None, False
        if transfer["channel"] != CASH_WITHDRAWAL:
            target, asking = _target(trace, node, transfer, router)
        edges.append(
            TraceTransfer(
                trace=trace,
                source=node,
                target=target,
                amount=transfer["amount"],
                at=transfer["at"],
                channel=transfer["channel"],
                to_bank=transfer.get("to_bank") or "",
            )
        )
        if asking and target is not None:
            _ask(trace, target, parent=query, window_start=transfer["at"])
    TraceTransfer.objects.bulk_create(edges)
    if trace.stop_payments and node.balance > 0:
        _stop(trace, node, query, holder_name=answer["holder_name"])


def _known(trace: Trace, account_number: str) -> TraceAccount | None:
    """The trace's node of this account, found by its blind index."""
    return trace.accounts.filter(blind_index_filter(TraceAccount, "account", account_number)).first()


def _stop_reason(trace: Trace, tier: int, transfer: dict[str, Any]) -> str:
    """Why a transfer is not followed to its account, tier by tier, in the ledger's order."""
    if transfer["amount"] < trace.min_amount:
        return BELOW_THRESHOLD
    if tier > trace.max_tiers:
        return TIER_LIMIT
    return ""


# Not asked for a reason of the transfer it was met by: a later transfer may still lead to it.
RECONSIDERED = frozenset({BELOW_THRESHOLD, TIER_LIMIT})


def _target(
    trace: Trace, source: TraceAccount, transfer: dict[str, Any], router: Router
) -> tuple[TraceAccount | None, bool]:
    """The node a transfer goes to and whether to ask it now.

    A new account becomes a node of the next tier (asked unless a stop reason holds); a known
    one is asked only if it was left for the transfer it was met by (too small, too deep) and
    this transfer passes; a full trace takes no new account (`trace_limit` on the source).
    """
    tier = source.tier + 1
    stop_reason = _stop_reason(trace, tier, transfer)
    known = _known(trace, transfer["to_account"])
    if known is not None:
        if stop_reason or known.query_id is not None or known.stop_reason not in RECONSIDERED:
            return known, False
        known.tier, known.stop_reason = tier, ""
        known.save(update_fields=["tier", "stop_reason"])
        return known, known.bank is not None
    if trace.accounts.count() >= MAX_ACCOUNTS:
        source.stop_reason = TRACE_LIMIT
        source.save(update_fields=["stop_reason"])
        return None, False
    route = router.route(transfer["to_account"])
    created = TraceAccount.objects.create(
        trace=trace,
        account=transfer["to_account"],
        tier=tier,
        bank=route.bank,
        unroutable_reason=route.unroutable_reason,
        stop_reason=stop_reason,
    )
    return created, not stop_reason and route.bank is not None


def _send(
    trace: Trace, node: TraceAccount, kind: str, values: dict[str, Any], parent: Query | None
) -> tuple[Query | None, str]:
    """One query for the node, as the trace's officer: the query (refused ones too) and the
    code of its refusal, or no query and the code of why none could be made (the officer or
    the unit may no longer act in the case: `ACCESS_REFUSED`)."""
    assert node.bank is not None
    submission = Submission(case_id=trace.case_id, kind=kind, partner=node.bank.code, input=values)
    try:
        query, refusal = query_submit_placed(
            actor=trace.started_by, submission=submission, placement=Placement(trace, node.tier, parent)
        )
    except NotFound:
        return None, ACCESS_REFUSED
    except Invalid as error:
        code = NO_GRANT if "partner" in error.fields else error.code
        _refusal_record(trace, node, kind, code)
        return None, code
    except DomainError as error:
        return None, error.code
    return query, refusal.code if refusal is not None else ""


def _refusal_record(trace: Trace, node: TraceAccount, kind: str, code: str) -> None:
    """A query the submission path would not even make (no query row holds the refusal), as
    a denial against the trace, naming the account by its blind index."""
    assert node.bank is not None
    event_record(
        actor=trace.started_by,
        action=ExchangeAction.QUERY_REFUSED,
        outcome=Outcome.DENIED,
        target=trace,
        case_id=str(trace.case_id),
        details={
            "kind": kind,
            "partner": node.bank.code,
            "subject_index": node.account_index.hex() if node.account_index else "",
            "reason": code,
        },
    )


def _ask(trace: Trace, node: TraceAccount, *, parent: Query | None, window_start: datetime | None) -> None:
    if node.bank is None:
        return
    values = {
        "account_number": node.account,
        "window_start": window_start.isoformat() if window_start else None,
    }
    node.query, node.stop_reason = _send(trace, node, ROUTED_KIND, values, parent)
    node.save(update_fields=["query", "stop_reason"])


def _stop(trace: Trace, node: TraceAccount, query: Query, *, holder_name: str) -> None:
    """A stop-payment on an account that still holds money, with the amount and time of the
    transfer that brought it; none at tier 1 without them (an account given bare)."""
    amount, at = _arrival(trace, node, query)
    if amount is None or at is None or node.bank is None:
        return
    values = {
        "account_number": node.account,
        "holder_name": holder_name,
        "amount": str(amount),
        "transaction_at": at.isoformat(),
    }
    # A refused stop is kept as its query (its reason is the query's); the trace's own stop
    # reason is written only when no query could be made at all.
    node.stop_query, refused = _send(trace, node, STOP_KIND, values, query)
    if node.stop_query is None:
        node.stop_reason = refused
    node.save(update_fields=["stop_query", "stop_reason"])


def _arrival(trace: Trace, node: TraceAccount, query: Query) -> tuple[Decimal | None, datetime | None]:
    """How the money came to the account: the transfer that first reached it; at tier 1 the
    lookup's order, or the officer's amount and time."""
    if node.tier > 1:
        incoming = node.incoming.order_by("pk").first()
        return (incoming.amount, incoming.at) if incoming else (None, None)
    if trace.source_query is not None:
        document = trace.source_query.answer_document() or {}
        amount, paid_at = document.get("amount"), document.get("paid_at")
        return (Decimal(amount) if amount else None, parse_datetime(paid_at) if paid_at else None)
    return trace.start_amount, trace.start_transaction_at
