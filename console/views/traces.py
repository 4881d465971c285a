"""The trace pages: a fund-flow graph read tier by tier, growing while the banks answer, each
account a node that opens its details, where police stop payment out of it or ask a freeze.

Each page calls the exchange's selectors and services with the signed-in person, as the API's
trace views do (`exchange.selectors.trace_get`, `trace_export`, `exchange.services.traces.
trace_start`, `exchange.services.trace_nodes.trace_node_stop`): another unit's trace is the
access layer's `NotFound`, a 404 page here. Every reading of the graph is recorded by the
selector, a poll too, as the API's. The graph is server-rendered HTML (a column per tier, a
node per account, its transfers listed on it and in a table), so it works under the strict
CSP with no script of its own, reads aloud, prints into a case file, and a poll's swap keeps
the page where it was; htmx polls the graph's fragment while anything in it is still open.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.actors import acting_role
from core.errors import DomainError, NotFound
from exchange import selectors
from exchange.choices import HoldKind, HoldStatus
from exchange.kinds.fields import FREEZE_MAX_DAYS
from exchange.services.trace_nodes import FREEZE_KIND, NodeAct, trace_node_stop
from exchange.services.traces import MAX_TIERS, TraceRequest, trace_start
from exchange.traces.graph import Node, TraceGraph
from exchange.traces.progress import OUTSTANDING_STATUSES

from ..access import CASE_READERS, POLICE, ConsoleView

# A node's state, for its colour and the words that say the same (never colour alone).
NODE_STATES = {
    "frozen": _("Frozen"),
    "freeze_awaiting": _("Freeze awaiting a supervisor"),
    "freeze_sent": _("Freeze sent to the bank"),
    "stopped": _("Payment stopped"),
    "stop_sent": _("Stop-payment sent"),
    "not_stopped": _("Not stopped"),
    "asking": _("Asking the bank"),
    "answered": _("Answered, nothing held"),
    "not_asked": _("Not asked"),
}
# Why a node went no further, in the page's language.
STOP_REASONS = {
    "below_threshold": _("Below the trace's threshold"),
    "tier_limit": _("Past the last tier"),
    "trace_limit": _("The trace's size limit"),
    "access_refused": _("No longer open to the officer"),
    "no_grant": _("No grant for this bank"),
    "no_bank_for_bin": _("No bank issues this number"),
}
# The services' refusals of a node's act by code.
ACT_REFUSALS = {
    "node_not_answered": _("The account's bank has not answered yet."),
    "act_open": _("An act of this kind is already open on this account."),
    "no_arrival": _("No transfer says how the money came to this account."),
    "nothing_held": _("The account held nothing when its bank answered."),
    "no_grant": _("Your unit holds no active grant for this act at this bank."),
    "case_closed": _("The case is closed: it takes no new queries."),
    "stop_limit_reached": _("Two stops of this account in this case already: ask a freeze."),
    "partner_suspended": _("This partner is suspended."),
}
START_REFUSALS = {
    "invalid": _("Choose an answered order lookup of this case."),
    "case_closed": _("The case is closed: no trace can start in it."),
}


class TraceStartForm(forms.Form):
    """The API's `TraceInputSerializer` options an officer needs on a page: the answered lookup
    to start from, how many tiers to follow, and a stop-payment on every account with money."""

    from_query = forms.UUIDField(label=_("Answered order lookup"))
    max_tiers = forms.IntegerField(label=_("Tiers to follow"), min_value=1, max_value=MAX_TIERS, initial=3)
    stop_payments = forms.BooleanField(label=_("Stop payment on every account holding money"), required=False)


class NodeActForm(forms.Form):
    kind = forms.ChoiceField(choices=[("stop_payment", "stop_payment"), (FREEZE_KIND, FREEZE_KIND)])
    decision_reference = forms.CharField(label=_("Freeze decision reference"), required=False, max_length=80)
    period_days = forms.IntegerField(
        label=_("Days"), min_value=1, max_value=FREEZE_MAX_DAYS, initial=FREEZE_MAX_DAYS, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == FREEZE_KIND and len(data.get("decision_reference") or "") < 3:
            self.add_error("decision_reference", _("A freeze names its decision (3 characters at least)."))
        return data


@dataclass(frozen=True)
class NodeShown:
    """A node as the page shows it: the graph's node, its state, and its transfers in and out."""

    node: Node
    state: str
    incoming: list[Any]
    outgoing: list[Any]
    freeze_status: str | None

    @property
    def state_label(self) -> str:
        return str(NODE_STATES[self.state])

    @property
    def stop_reason_label(self) -> str:
        reason = self.node.unroutable_reason or self.node.stop_reason
        return str(STOP_REASONS.get(reason, reason))

    @property
    def open(self) -> bool:
        return self.state in ("asking", "stop_sent", "freeze_awaiting", "freeze_sent")

    @property
    def actionable(self) -> bool:
        """An account its bank has answered for: a stop or a freeze can name its holder."""
        return self.node.query_status == "answered" and self.node.bank is not None


def node_state(node: Node, freeze_status: str | None) -> str:
    """The strongest thing that holds the node's money, or where its asking stands."""
    hold = node.hold
    if hold and hold.status == HoldStatus.ACTIVE and hold.kind == HoldKind.FREEZE:
        return "frozen"
    if freeze_status == "awaiting_approval":
        return "freeze_awaiting"
    if freeze_status in OUTSTANDING_STATUSES:
        return "freeze_sent"
    if hold and hold.status == HoldStatus.ACTIVE:
        return "stopped"
    if node.stop is not None:
        if node.stop.status in OUTSTANDING_STATUSES:
            return "stop_sent"
        return "stopped" if node.stop.outcome == "stopped" else "not_stopped"
    if node.query_status in OUTSTANDING_STATUSES:
        return "asking"
    return "answered" if node.query_status == "answered" else "not_asked"


@dataclass(frozen=True)
class GraphShown:
    graph: TraceGraph
    tiers: list[tuple[int, list[NodeShown]]]
    nodes: dict[str, NodeShown]
    edges: list[tuple[Any, NodeShown, NodeShown | None]]

    @property
    def live(self) -> bool:
        """Still changing: the trace runs, or an act sent from a node waits for its answer."""
        return self.graph.state == "running" or any(shown.open for shown in self.nodes.values())


def graph_shown(person: Any, trace_id: UUID) -> GraphShown:
    """The trace's graph (its reading recorded by `trace_get`), its nodes by tier with their state."""
    graph = selectors.trace_get(person, trace_id)
    assert isinstance(graph, TraceGraph)
    freezes = selectors.trace_node_freezes(person, trace_id)
    accounts = {node.id: node.account for node in graph.nodes}
    incoming: dict[str, list[Any]] = defaultdict(list)  # (transfer, the masked account it came from)
    outgoing: dict[str, list[Any]] = defaultdict(list)
    for edge in graph.edges:
        outgoing[edge.source_id].append(edge)
        if edge.target_id:
            incoming[edge.target_id].append((edge, accounts.get(edge.source_id, "")))
    nodes = {
        node.id: NodeShown(
            node=node,
            state=node_state(node, freezes.get(node.id)),
            incoming=incoming[node.id],
            outgoing=outgoing[node.id],
            freeze_status=freezes.get(node.id),
        )
        for node in graph.nodes
    }
    tiers: dict[int, list[NodeShown]] = defaultdict(list)
    for shown in nodes.values():
        tiers[shown.node.tier].append(shown)
    edges = [(e, nodes[e.source_id], nodes.get(e.target_id or "")) for e in graph.edges]
    return GraphShown(graph=graph, tiers=sorted(tiers.items()), nodes=nodes, edges=edges)


def _context(person: Any, shown: GraphShown) -> dict[str, Any]:
    return {
        "shown": shown,
        "seen": fingerprint(shown.graph),
        "trace": shown.graph.trace,
        "police": acting_role(person) in POLICE,
        "legend": [(code, str(label)) for code, label in NODE_STATES.items()],
    }


class TraceStartView(ConsoleView):
    """`POST` a trace into the case from one of its answered lookups (`trace_start`, as
    `POST /api/v1/cases/{id}/traces/`), then the trace's page; a refusal back on the case page."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        from .cases import CaseDetailView  # the case page, which lists the case's traces

        form = TraceStartForm(request.POST)
        if form.is_valid():
            try:
                trace = trace_start(actor=self.person, request=TraceRequest(case_id=pk, **form.cleaned_data))
            except DomainError as refused:
                if refused.code == "not_found":
                    raise
                form.add_error(None, START_REFUSALS.get(refused.code, _("The exchange refused this trace.")))
            else:
                return HttpResponseRedirect(reverse("console:trace", args=[trace.pk]))
        return CaseDetailView(request=request).render_case(request, pk, None, 400, trace_form=form)


class TraceDetailView(ConsoleView):
    """The trace's page: its state, legend, graph (polling while live), a node's details when
    `?node=` names one, and the case-file exports."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        return trace_page(request, self.person, pk, request.GET.get("node", ""), NodeActForm())


def trace_page(
    request: HttpRequest, person: Any, pk: UUID, node_id: str, form: NodeActForm, status: int = 200
) -> HttpResponse:
    shown = graph_shown(person, pk)
    context = {**_context(person, shown), "selected": shown.nodes.get(node_id), "act_form": form}
    return render(request, "console/trace_detail.html", context, status=status)


class TraceGraphView(ConsoleView):
    """The graph's fragment, which the page polls while the trace is live."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        return render(
            request, "console/_trace_graph.html", _context(self.person, graph_shown(self.person, pk))
        )


def fingerprint(summary: Any) -> str:
    """What a poll compares: the trace's state by its counts (no personal value, it goes in a URL)."""
    return "-".join(
        str(part)
        for part in (
            summary.state,
            summary.tiers_done,
            summary.accounts_found,
            summary.queries_outstanding,
            summary.amount_stopped,
        )
    )


class TraceStateView(ConsoleView):
    """The poll while the trace is live: its state alone, read by a few counts (`trace_get`
    with `graph=False`, as the API's `?graph=false`); when it differs from what the page
    shows (`?seen=`), the page is told (`HX-Trigger: trace-changed`) to read the graph and
    the open node again. The graph itself, every account decrypted, is read only then."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        summary = selectors.trace_get(self.person, pk, graph=False)
        response = HttpResponse(b"", content_type="text/html; charset=utf-8")
        if fingerprint(summary) != request.GET.get("seen", ""):
            response["HX-Trigger"] = "trace-changed"
        return response


class TraceNodeView(ConsoleView):
    """One node's details (masked) with, for police, its stop-payment and freeze forms."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest, pk: UUID, node_id: UUID) -> HttpResponse:
        return _node_panel(request, self.person, pk, node_id, NodeActForm())


def _node_panel(
    request: HttpRequest, person: Any, pk: UUID, node_id: UUID, form: NodeActForm, sent: Any = None
) -> HttpResponse:
    shown = graph_shown(person, pk)
    selected = shown.nodes.get(str(node_id))
    if selected is None:
        raise NotFound("No such account in this trace.")
    context = {**_context(person, shown), "selected": selected, "act_form": form, "sent": sent}
    return render(request, "console/_trace_node.html", context)


class TraceNodeStopView(ConsoleView):
    """`POST` a stop-payment or a freeze for a node's account (`trace_node_stop`, as
    `POST /api/v1/traces/{id}/nodes/{node}/stop/`). From htmx the node's panel with what was
    sent, and the graph told to read itself again; from a plain form, the page on the node."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID, node_id: UUID) -> HttpResponse:
        form = NodeActForm(request.POST)
        fragment = request.headers.get("HX-Request") == "true"
        sent = None
        if form.is_valid():
            data = form.cleaned_data
            act = NodeAct(
                kind=data["kind"],
                decision_reference=data["decision_reference"] or "",
                period_days=data["period_days"] or FREEZE_MAX_DAYS,
            )
            try:
                sent = trace_node_stop(actor=self.person, trace_id=pk, node_id=node_id, act=act)
            except DomainError as refused:
                if refused.code == "not_found":
                    raise
                form.add_error(None, ACT_REFUSALS.get(refused.code, _("The exchange refused this act.")))
        if not fragment:
            if sent is None:
                return trace_page(request, self.person, pk, str(node_id), form, status=400)
            return HttpResponseRedirect(f"{reverse('console:trace', args=[pk])}?node={node_id}")
        response = _node_panel(request, self.person, pk, node_id, NodeActForm() if sent else form, sent=sent)
        response["HX-Trigger"] = "node-acted"  # the graph reads itself again; this panel is fresh
        return response


class TraceExportView(ConsoleView):
    """The graph for the case file, JSON or CSV, as an attachment (`trace_export`, recorded,
    as `GET /api/v1/traces/{id}/export/`); named by the trace's id only."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest, pk: UUID, export_format: str) -> HttpResponse:
        text = selectors.trace_export(self.person, pk, export_format)
        content_type = "text/csv; charset=utf-8" if export_format == "csv" else "application/json"
        response = HttpResponse(text, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="afx-trace-{pk}.{export_format}"'
        return response
