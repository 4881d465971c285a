"""Reads of the exchange, on behalf of an actor: what the actor may see of cases and queries.

Lists are what `restrict` leaves (empty for an actor who may see none); one object is
reached through `exchange.access` (`NotFound`, audited, when out of scope). Reading one
case is itself recorded (`CASE_VIEWED`), and so is reading or exporting a trace
(`TRACE_VIEWED`, `TRACE_EXPORTED`): the anomaly reports count reads of case data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from audit.access import access_object
from audit.services import event_record
from core.actors import Actor, acting_role
from core.errors import Invalid
from core.roles import POLICE_ROLES

from .access import access_case_by_id, access_query_by_id
from .audit_actions import ExchangeAction
from .choices import HoldKind, HoldStatus
from .models import Case, Hold, Query, Trace, TraceAccount
from .querysets import VIEW
from .states import CLOSED_STATUSES
from .traces.audit_actions import TraceAction
from .traces.export import graph_csv, graph_document
from .traces.graph import TraceGraph, TraceSummary, trace_graph, trace_summary
from .traces.progress import trace_settle

EXPORT_FORMATS = ("json", "csv")


@dataclass(frozen=True)
class IndexedTraceGraph(TraceGraph):
    """A trace's graph and the blind index of each node's account, by node id: what the API
    hands the watchlist to flag listed accounts (`watchlist.selectors.listing_counts`). The
    indexes are for the gateway alone; the graph's document shows none."""

    account_indexes: dict[str, bytes]


def _indexed(graph: TraceGraph) -> IndexedTraceGraph:
    """The graph with its accounts' blind indexes, read in one query of the trace's accounts
    (an account a running trace added since the graph was read is left out: it is no node)."""
    nodes = {node.id for node in graph.nodes}
    rows = TraceAccount.objects.filter(trace_id=graph.trace.pk).values_list("pk", "account_index")
    indexes = {str(pk): bytes(index) for pk, index in rows if index and str(pk) in nodes}
    known = {field.name: getattr(graph, field.name) for field in fields(TraceGraph)}
    return IndexedTraceGraph(**known, account_indexes=indexes)


def case_list(actor: Actor) -> QuerySet[Case]:
    """The cases the actor may see: police their unit's, auditors all."""
    return Case.objects.restrict(actor, VIEW).select_related("unit", "opened_by")


def case_get(actor: Actor, case_id: UUID | str) -> Case:
    """One case the actor may see, its reading recorded against the case."""
    case = access_case_by_id(actor, case_id, VIEW)
    event_record(actor=actor, action=ExchangeAction.CASE_VIEWED, target=case, case_id=str(case.pk))
    return case


def query_list(actor: Actor, case_id: UUID | str | None = None, status: str | None = None) -> QuerySet[Query]:
    """The queries the actor may see, of one case or in one status when given."""
    found = Query.objects.restrict(actor, VIEW).select_related("partner")
    if case_id is not None:
        found = found.filter(case_id=case_id)
    if status is not None:
        found = found.filter(status=status)
    return found


def query_get(actor: Actor, query_id: UUID | str) -> Query:
    """One query the actor may see. The first time police of its unit read it closed, the
    moment is kept (`Query.answer_seen_at`, the round trip's last stage): one conditional
    write, once; every later read, and every poll before the answer, writes nothing."""
    query = access_query_by_id(actor, query_id, VIEW)
    first_sight = query.answer_seen_at is None and query.status in CLOSED_STATUSES
    if first_sight and acting_role(actor) in POLICE_ROLES:
        now = timezone.now()
        if Query.objects.filter(pk=query.pk, answer_seen_at__isnull=True).update(answer_seen_at=now):
            query.answer_seen_at = now
    return query


def stops_expiring(actor: Actor, *, within: timedelta, now: datetime | None = None) -> QuerySet[Hold]:
    """The stop-payments in force that the actor may see (police: their unit's) and that end
    within `within` from `now`, soonest first: a stop lasts 48 hours and the money moves
    again after it unless a freeze follows, so these are the ones to act on. A stop whose
    end has passed is left out even before the sweep marks it expired. Its case and bank
    come with it; the account is not read (a list of them is no reading of a case)."""
    now = now or timezone.now()
    return (
        Hold.objects.restrict(actor, VIEW)
        .filter(
            kind=HoldKind.STOP_PAYMENT,
            status=HoldStatus.ACTIVE,
            expires_at__gt=now,
            expires_at__lte=now + within,
        )
        .select_related("case", "bank")
        .order_by("expires_at", "pk")
    )


def _trace_reached(actor: Actor, trace_id: UUID | str) -> Trace:
    """The trace, its state brought up to date first (a query may have closed by expiring,
    with no answer to settle it); the caller records the reading."""
    trace = access_object(actor=actor, model=Trace, action=VIEW, pk=trace_id)
    trace_settle(trace.pk)
    trace.refresh_from_db(fields=["finished_at"])
    return trace


def _reading_record(actor: Actor, trace: Trace, action: str, **details: Any) -> None:
    event_record(actor=actor, action=action, target=trace, case_id=str(trace.case_id), details=details)


def trace_get(actor: Actor, trace_id: UUID | str, *, graph: bool = True) -> TraceSummary:
    """One trace the actor may see (police of its unit, auditors), as its state and its graph,
    or (`graph=False`, what a poll while it runs needs) its state alone; each reading is
    recorded against its case. The graph comes with its accounts' blind indexes
    (`IndexedTraceGraph`), for the flags of listed accounts."""
    trace = _trace_reached(actor, trace_id)
    if not graph:
        summary = trace_summary(trace)
        _reading_record(
            actor, trace, TraceAction.TRACE_VIEWED, accounts=summary.accounts_found, state_only=True
        )
        return summary
    found = _indexed(trace_graph(trace))
    _reading_record(
        actor, trace, TraceAction.TRACE_VIEWED, accounts=found.accounts_found, transfers=len(found.edges)
    )
    return found


def trace_list(actor: Actor, case_id: UUID | str) -> QuerySet[Trace]:
    """The traces of one case the actor may see (police of its unit, auditors), newest first;
    empty for a case out of scope, like any list."""
    return Trace.objects.restrict(actor, VIEW).filter(case_id=case_id).order_by("-created_at")


def trace_node_freezes(actor: Actor, trace_id: UUID | str) -> dict[str, str]:
    """The status of the latest freeze sent from each node of a trace (by node id): what the
    graph's nodes do not say until the bank has frozen (awaiting a supervisor, with the bank,
    refused). A freeze sent from a node is placed in the trace with the node's query as parent."""
    nodes = dict(
        TraceAccount.objects.filter(trace__in=Trace.objects.restrict(actor, VIEW), trace_id=trace_id)
        .exclude(query=None)
        .values_list("query_id", "pk")
    )
    found = (
        Query.objects.restrict(actor, VIEW)
        .filter(trace_id=trace_id, kind="freeze", parent_id__in=nodes)
        .order_by("created_at")
        .values_list("parent_id", "status")
    )
    return {str(nodes[parent]): status for parent, status in found}


def trace_export(actor: Actor, trace_id: UUID | str, export_format: str) -> str:
    """The trace's graph for the case file, as JSON or CSV text (`EXPORT_FORMATS`); recorded
    as an export, with its format."""
    if export_format not in EXPORT_FORMATS:
        raise Invalid("Unknown export format.", fields={"format": [f"One of {', '.join(EXPORT_FORMATS)}."]})
    trace = _trace_reached(actor, trace_id)
    graph = trace_graph(trace)
    _reading_record(
        actor,
        trace,
        TraceAction.TRACE_EXPORTED,
        accounts=graph.accounts_found,
        transfers=len(graph.edges),
        format=export_format,
    )
    if export_format == "csv":
        return graph_csv(graph)
    return json.dumps(graph_document(graph), ensure_ascii=False)
