"""A trace read back: its state while it runs and its fund-flow graph, accounts masked.

Accounts are nodes (masked number, bank, balance, tier, the case's hold on the account or the
state of the stop-payment the trace sent, why the trace went no further, and how many other
units' cases have met the account); transfers are edges (a cash withdrawal has no target).
Everything is read in a few indexed queries; only the trace's own rows are decrypted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from exchange.choices import HoldKind, HoldStatus, QueryStatus
from exchange.models import Finding, Hold, Query, Trace, TraceTransfer
from exchange.traces.progress import OUTSTANDING_STATUSES
from privacy.choices import Kind
from privacy.masking import mask

CENT = Decimal("0.01")


@dataclass(frozen=True)
class HoldState:
    kind: str
    status: str
    amount: Decimal
    partially_held: bool
    expires_at: datetime


@dataclass(frozen=True)
class StopState:
    query_id: str
    status: str
    outcome: str | None
    amount_held: Decimal | None
    reason: str


@dataclass(frozen=True)
class Node:
    id: str
    account: str
    bank: str | None
    tier: int
    balance: Decimal | None
    asked: bool
    query_status: str | None
    unroutable_reason: str
    stop_reason: str
    hold: HoldState | None
    stop: StopState | None
    other_units_cases: int


@dataclass(frozen=True)
class Edge:
    source_id: str
    target_id: str | None
    amount: Decimal
    at: datetime
    channel: str
    to_bank: str


@dataclass(frozen=True)
class TraceSummary:
    """A trace's state: what an officer polls while it runs, read by a few aggregates."""

    trace: Trace
    state: str
    tiers_done: int
    queries_outstanding: int
    accounts_found: int
    amount_found: Decimal
    amount_stopped: Decimal


@dataclass(frozen=True)
class TraceGraph(TraceSummary):
    """A trace's state and its fund-flow graph."""

    nodes: list[Node]
    edges: list[Edge]


def trace_summary(trace: Trace) -> TraceSummary:
    """The state alone, no account decrypted: counts and sums in the database."""
    accounts = trace.accounts.aggregate(found=Count("pk"), amount=Sum("balance"))
    tiers = (
        trace.accounts.filter(query__isnull=False)
        .values("tier")
        .annotate(open=Count("pk", filter=Q(query__status__in=OUTSTANDING_STATUSES)))
    )
    return TraceSummary(
        trace=trace,
        state=_state(trace),
        tiers_done=_tiers_done({row["tier"]: row["open"] > 0 for row in tiers}),
        queries_outstanding=_outstanding(trace),
        accounts_found=accounts["found"],
        amount_found=_cents(accounts["amount"]),
        amount_stopped=_amount_stopped(trace),
    )


def trace_graph(trace: Trace) -> TraceGraph:
    accounts = list(trace.accounts.select_related("bank", "query", "stop_query"))
    edges = [
        Edge(
            source_id=str(t.source_id),
            target_id=str(t.target_id) if t.target_id else None,
            amount=t.amount,
            at=t.at,
            channel=t.channel,
            to_bank=t.to_bank,
        )
        for t in TraceTransfer.objects.filter(trace=trace)
    ]
    indexes = [account.account_index for account in accounts if account.account_index]
    holds = _holds(trace, indexes)
    others = _other_units_cases(trace, indexes)
    stops = {account.pk: _stop(account.stop_query) for account in accounts if account.stop_query}
    nodes = [
        Node(
            id=str(account.pk),
            account=mask(Kind.ACCOUNT, account.account),
            bank=account.bank.code if account.bank else None,
            tier=account.tier,
            balance=account.balance,
            asked=account.query_id is not None,
            query_status=account.query.status if account.query else None,
            unroutable_reason=account.unroutable_reason,
            stop_reason=account.stop_reason,
            hold=holds.get(bytes(account.account_index)) if account.account_index else None,
            stop=stops.get(account.pk),
            other_units_cases=others.get(bytes(account.account_index), 0) if account.account_index else 0,
        )
        for account in accounts
    ]
    asked: dict[int, bool] = {}
    for account in accounts:
        if account.query is not None:
            still_open = account.query.status in OUTSTANDING_STATUSES
            asked[account.tier] = asked.get(account.tier, False) or still_open
    return TraceGraph(
        trace=trace,
        state=_state(trace),
        tiers_done=_tiers_done(asked),
        queries_outstanding=_outstanding(trace),
        accounts_found=len(accounts),
        amount_found=_cents(sum((a.balance for a in accounts if a.balance is not None), Decimal("0"))),
        amount_stopped=_amount_stopped(trace),
        nodes=nodes,
        edges=edges,
    )


def _state(trace: Trace) -> str:
    return "finished" if trace.finished_at else "running"


def _outstanding(trace: Trace) -> int:
    return int(trace.queries.filter(status__in=OUTSTANDING_STATUSES).count())


def _amount_stopped(trace: Trace) -> Decimal:
    """What the trace's stop-payments held: each stop a bank made is a hold of its amount."""
    held = Hold.objects.filter(query__trace=trace, kind=HoldKind.STOP_PAYMENT).aggregate(total=Sum("amount"))
    return _cents(held["total"])


def _cents(total: Decimal | None) -> Decimal:
    """A sum as money, two places, whatever the database's sum kept (SQLite's keeps none)."""
    return (total or Decimal("0")).quantize(CENT)


def _tiers_done(asked: dict[int, bool]) -> int:
    """The tiers, from the first, whose every asked account is closed (answered or not):
    `asked` says of each tier with an asked account whether one is still open."""
    done = 0
    for tier in sorted(asked):
        if asked[tier]:
            break
        done = tier
    return done


def _stop(query: Query) -> StopState:
    answered = query.status == QueryStatus.ANSWERED
    document: dict[str, Any] = (query.answer_document() or {}) if answered else {}
    held = document.get("amount_held")
    return StopState(
        query_id=str(query.pk),
        status=query.status,
        outcome=document.get("outcome"),
        amount_held=Decimal(held) if held else None,
        reason=query.reason,
    )


def _holds(trace: Trace, indexes: list[Any]) -> dict[bytes, HoldState]:
    """The case's hold on each account: one in force first (a freeze before a stop), else the
    latest."""
    found: dict[bytes, list[Hold]] = defaultdict(list)
    for hold in Hold.objects.filter(case_id=trace.case_id, account_index__in=indexes).order_by("-started_at"):
        found[bytes(hold.account_index)].append(hold)
    return {index: _hold_state(held) for index, held in found.items()}


def _hold_state(holds: list[Hold]) -> HoldState:
    active = [h for h in holds if h.status == HoldStatus.ACTIVE]
    hold = sorted(active, key=lambda h: h.kind != HoldKind.FREEZE)[0] if active else holds[0]
    return HoldState(
        kind=hold.kind,
        status=hold.status,
        amount=hold.amount,
        partially_held=hold.partial,
        expires_at=hold.expires_at,
    )


def _other_units_cases(trace: Trace, indexes: list[Any]) -> dict[bytes, int]:
    """For each account, how many cases of other units have met it (findings by blind index),
    as `account_search` counts them: a count, never which cases."""
    rows = (
        Finding.objects.filter(value_index__in=indexes, kind=Kind.ACCOUNT)
        .exclude(case__unit_id=trace.case.unit_id)
        .values("value_index")
        .annotate(cases=Count("case_id", distinct=True))
    )
    return {bytes(row["value_index"]): row["cases"] for row in rows}
