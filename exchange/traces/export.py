"""A trace's graph for the case file: JSON (the graph as the API shows it) or CSV, one row
per transfer, accounts masked."""

from __future__ import annotations

import csv
import io
from dataclasses import fields, is_dataclass
from functools import cache
from typing import Any

from core.spreadsheet import spreadsheet_safe

from .graph import Node, TraceGraph, TraceSummary

CSV_COLUMNS = (
    "source_account",
    "source_bank",
    "source_tier",
    "target_account",
    "target_bank",
    "target_tier",
    "amount",
    "at",
    "channel",
    "to_bank",
)


def graph_document(graph: TraceSummary) -> dict[str, Any]:
    """The trace's state, and its graph when read (`TraceGraph`), as plain JSON values
    (amounts and times as strings)."""
    trace = graph.trace
    document = _plain(
        {
            "id": trace.pk,
            "case": trace.case_id,
            "source_query": trace.source_query_id,
            "max_tiers": trace.max_tiers,
            "start_time": trace.start_time,
            "min_amount": trace.min_amount,
            "stop_payments": trace.stop_payments,
            "created_at": trace.created_at,
            "finished_at": trace.finished_at,
            "state": graph.state,
            "tiers_done": graph.tiers_done,
            "queries_outstanding": graph.queries_outstanding,
            "accounts_found": graph.accounts_found,
            "amount_found": graph.amount_found,
            "amount_stopped": graph.amount_stopped,
        }
    )
    if isinstance(graph, TraceGraph):
        document["nodes"] = _plain(graph.nodes)
        document["edges"] = _plain(graph.edges)
    return document


def graph_csv(graph: TraceGraph) -> str:
    nodes: dict[str, Node] = {node.id: node for node in graph.nodes}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for edge in graph.edges:
        source, target = nodes[edge.source_id], nodes.get(edge.target_id or "")
        cells = [
            source.account,
            source.bank or "",
            source.tier,
            target.account if target else "",
            (target.bank or "") if target else "",
            target.tier if target else "",
            str(edge.amount),
            edge.at.isoformat(),
            edge.channel,
            edge.to_bank,  # the bank's own words: kept from running as a formula
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()


def _plain(value: Any) -> Any:
    """JSON values of a document of dicts, lists and the graph's dataclasses (read field by
    field: `dataclasses.asdict` deep-copies, a third of a large graph's reading)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in fields(kind))
