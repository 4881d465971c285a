"""The traces' API: start one in a case, read its state and graph, export it for the case file.

Thin, like the rest of the exchange's API: the services and selectors reach the case and the
trace for the caller (`NotFound` out of scope); the graph is rendered once, by
`exchange.traces.export.graph_document`, for reading and for the JSON export alike. Police
reading a graph see on each node how many cases list its account on the watchlist
(`watchlist_cases`, as on queries), other readers null.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import POLICE
from api.schema import refusal
from api.views import request_actor
from core.actors import Actor, acting_role
from core.roles import POLICE_ROLES, Role
from exchange import selectors
from exchange.kinds.fields import FREEZE_MAX_DAYS, AccountNumberField
from exchange.services.trace_nodes import NODE_ACT_KINDS, NodeAct, trace_node_stop
from exchange.services.traces import MAX_TIERS, TraceRequest, trace_start
from exchange.traces.export import graph_document
from exchange.traces.graph import TraceSummary
from watchlist.selectors import listing_counts

from .serializers import QueryOutputSerializer

TRACE_READERS = POLICE | {Role.AUDITOR}


class TraceInputSerializer(serializers.Serializer):
    """Where to start (an answered order lookup of the case, or an account) and how far to go."""

    from_query = serializers.UUIDField(required=False)
    account_number = AccountNumberField(required=False)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, help_text="For a tier-1 stop-payment."
    )
    transaction_at = serializers.DateTimeField(required=False, help_text="For a tier-1 stop-payment.")
    max_tiers = serializers.IntegerField(min_value=1, max_value=MAX_TIERS, default=MAX_TIERS)
    start_time = serializers.DateTimeField(required=False, help_text="Default: the lookup's payment time.")
    min_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, default=Decimal("0"))
    stop_payments = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("from_query" in attrs) == ("account_number" in attrs):
            raise serializers.ValidationError({"from_query": ["Give either from_query or account_number."]})
        return attrs


class TraceHoldOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    partially_held = serializers.BooleanField()
    expires_at = serializers.DateTimeField()


class TraceStopOutputSerializer(serializers.Serializer):
    query_id = serializers.UUIDField()
    status = serializers.CharField()
    outcome = serializers.CharField(allow_null=True)
    amount_held = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    reason = serializers.CharField()


class NodeOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    account = serializers.CharField(help_text="Masked.")
    bank = serializers.CharField(allow_null=True)
    tier = serializers.IntegerField()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    asked = serializers.BooleanField()
    query_status = serializers.CharField(allow_null=True)
    unroutable_reason = serializers.CharField()
    stop_reason = serializers.CharField()
    hold = TraceHoldOutputSerializer(allow_null=True)
    stop = TraceStopOutputSerializer(allow_null=True)
    other_units_cases = serializers.IntegerField()
    watchlist_cases = serializers.IntegerField(
        allow_null=True,
        help_text="How many cases, of any unit, list the account on the watchlist (police); null for others.",
    )


class EdgeOutputSerializer(serializers.Serializer):
    source_id = serializers.UUIDField()
    target_id = serializers.UUIDField(allow_null=True, help_text="None for a cash withdrawal.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    at = serializers.DateTimeField()
    channel = serializers.CharField()
    to_bank = serializers.CharField()


class TraceOutputSerializer(serializers.Serializer):
    """The schema of `graph_document`: the trace, its state and its graph."""

    id = serializers.UUIDField()
    case = serializers.UUIDField()
    source_query = serializers.UUIDField(allow_null=True)
    max_tiers = serializers.IntegerField()
    start_time = serializers.DateTimeField(allow_null=True)
    min_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    stop_payments = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=["running", "finished"])
    tiers_done = serializers.IntegerField()
    queries_outstanding = serializers.IntegerField()
    accounts_found = serializers.IntegerField()
    amount_found = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_stopped = serializers.DecimalField(max_digits=14, decimal_places=2)
    nodes = NodeOutputSerializer(many=True, required=False, help_text="Left out with ?graph=false.")
    edges = EdgeOutputSerializer(many=True, required=False, help_text="Left out with ?graph=false.")


class TraceReadInputSerializer(serializers.Serializer):
    graph = serializers.BooleanField(
        default=True, help_text="false: the state alone, without nodes and edges (a poll while it runs)."
    )


class TraceExportInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(selectors.EXPORT_FORMATS), default="json")


def _trace_document(actor: Actor, graph: TraceSummary) -> dict[str, Any]:
    """The trace's document, each node flagged with `watchlist_cases`: for police a count of
    the cases listing its account, read in one grouped query for the whole graph; for
    anybody else null."""
    document = graph_document(graph)
    if not isinstance(graph, selectors.IndexedTraceGraph):
        return document  # the state alone: no nodes
    police = acting_role(actor) in POLICE_ROLES
    counts = listing_counts(actor=actor, indexes=graph.account_indexes.values()) if police else {}
    for node in document["nodes"]:
        index = graph.account_indexes.get(node["id"])
        node["watchlist_cases"] = (counts.get(index, 0) if index else 0) if police else None
    return document


class TraceStartApi(APIView):
    """Start a trace in a case of the caller's unit; answered 201 with the trace as it starts."""

    allowed_roles = POLICE

    @extend_schema(
        request=TraceInputSerializer,
        responses={
            201: TraceOutputSerializer,
            404: refusal("No such case, or a case of another unit (the same answer)."),
            409: refusal("The case is closed: no trace can start in it."),
        },
    )
    def post(self, request: Request, pk: UUID) -> Response:
        data = TraceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = request_actor(request)
        trace = trace_start(actor=actor, request=TraceRequest(case_id=pk, **data.validated_data))
        graph = selectors.trace_get(actor, trace.pk)
        return Response(_trace_document(actor, graph), status=status.HTTP_201_CREATED)


class TraceDetailApi(APIView):
    """A trace's state while it runs and its fund-flow graph, accounts masked; `?graph=false`
    reads the state alone, by a few counts, as a poll while it runs should. Each reading is
    recorded against its case."""

    allowed_roles = TRACE_READERS

    @extend_schema(parameters=[TraceReadInputSerializer], responses=TraceOutputSerializer)
    def get(self, request: Request, pk: UUID) -> Response:
        params = TraceReadInputSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        actor = request_actor(request)
        graph = selectors.trace_get(actor, pk, graph=params.validated_data["graph"])
        return Response(_trace_document(actor, graph))


class TraceExportApi(APIView):
    """`?format=json|csv`: the graph for the case file (CSV: one row per transfer), as an
    attachment; the export is recorded. `format` is this view's own parameter, so DRF's
    content negotiation (which reads `?format=`) is bypassed: errors are JSON as everywhere."""

    allowed_roles = TRACE_READERS

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        parameters=[TraceExportInputSerializer],
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.STR, description="The trace's graph.")
            for media_type in ("application/json", "text/csv")
        },
    )
    def get(self, request: Request, pk: UUID) -> HttpResponse:
        params = TraceExportInputSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        export_format = params.validated_data["format"]
        text = selectors.trace_export(request_actor(request), pk, export_format)
        content_type = "text/csv; charset=utf-8" if export_format == "csv" else "application/json"
        response = HttpResponse(text, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="afx-trace-{pk}.{export_format}"'
        return response


class TraceNodeActInputSerializer(serializers.Serializer):
    """A stop-payment (the default) or a freeze, which names its decision and waits for a
    supervisor of the unit; the account, holder and amount are the trace's own."""

    kind = serializers.ChoiceField(choices=list(NODE_ACT_KINDS), default=NODE_ACT_KINDS[0])
    # The freeze kind's own field (`decision_reference()`), optional here: a stop takes none.
    decision_reference = serializers.CharField(min_length=3, max_length=80, required=False)
    period_days = serializers.IntegerField(min_value=1, max_value=FREEZE_MAX_DAYS, default=FREEZE_MAX_DAYS)


class TraceNodeStopApi(APIView):
    """Stop payment out of (or freeze) one account of the trace, at its bank: answered 202 with
    the query sent (a freeze awaits a supervisor's approval first), masked as every query."""

    allowed_roles = POLICE

    @extend_schema(
        request=TraceNodeActInputSerializer,
        responses={
            202: QueryOutputSerializer,
            404: refusal("No such trace or account in it, or a trace of another unit (the same answer)."),
            409: refusal("The account's bank has not answered yet, or an act of the kind is still open."),
        },
    )
    def post(self, request: Request, pk: UUID, node_id: UUID) -> Response:
        data = TraceNodeActInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        query = trace_node_stop(
            actor=request_actor(request), trace_id=pk, node_id=node_id, act=NodeAct(**data.validated_data)
        )
        return Response(QueryOutputSerializer(query).data, status=status.HTTP_202_ACCEPTED)
