"""The auditors' API: find, prove and export events; heads, consistency and anomaly reports.

Auditors and administrators only (`AUDIT_READERS`); everyone else gets 403, anonymous
callers 401. Every view is read-only except that an export records itself. Each one
validates its query, calls one selector or service and renders the result.
"""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import NewestFirstCursorPagination
from api.schema import refusal
from audit import selectors, services
from audit.exporters import CONTENT_TYPES
from audit.permissions import AUDIT_READERS

from .pagination import SortKeyCursorPagination
from .serializers import (
    AnomalyInputSerializer,
    ConsistencyInputSerializer,
    ConsistencyOutputSerializer,
    EventFilterInputSerializer,
    EventOutputSerializer,
    ExportInputSerializer,
    FindingOutputSerializer,
    HeadOutputSerializer,
    ProofInputSerializer,
    ProofOutputSerializer,
)


def _valid(serializer_class: type[Any], request: Request) -> Any:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer


EXPORT_DESCRIPTION = "JSON Lines for `format=jsonl` (the default), CSV for `format=csv`."


class HeadCursorPagination(NewestFirstCursorPagination):
    ordering = "-number"


@extend_schema(parameters=[EventFilterInputSerializer])
class AuditEventListApi(generics.ListAPIView):
    """Events newest first, filtered by actor, partner, action, outcome, case, target and time."""

    allowed_roles = AUDIT_READERS
    serializer_class = EventOutputSerializer

    def get_queryset(self) -> Any:
        filters = _valid(EventFilterInputSerializer, self.request).filters()
        return selectors.event_list(actor=self.request.user, filters=filters)


class AuditEventDetailApi(APIView):
    allowed_roles = AUDIT_READERS

    @extend_schema(responses=EventOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(EventOutputSerializer(selectors.event_get(actor=request.user, event_id=pk)).data)


class AuditEventProofApi(APIView):
    """The inclusion proof of an event in the latest signed head, or in the head of `tree_size`."""

    allowed_roles = AUDIT_READERS

    @extend_schema(
        parameters=[ProofInputSerializer],
        responses={
            200: ProofOutputSerializer,
            409: refusal(
                "The event is not sequenced yet, came after that head, or the stored tree is damaged."
            ),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        tree_size = _valid(ProofInputSerializer, request).validated_data.get("tree_size")
        proof = selectors.event_proof(actor=request.user, event_id=pk, tree_size=tree_size)
        return Response(ProofOutputSerializer(proof).data)


class TreeHeadListApi(generics.ListAPIView):
    """Signed tree heads, newest first."""

    allowed_roles = AUDIT_READERS
    serializer_class = HeadOutputSerializer
    pagination_class: type[CursorPagination] = HeadCursorPagination

    def get_queryset(self) -> Any:
        return selectors.head_list(actor=self.request.user)


class TreeHeadConsistencyApi(APIView):
    """`?from=N&to=M` (tree sizes of two heads): proof that the later head extends the earlier."""

    allowed_roles = AUDIT_READERS

    @extend_schema(
        parameters=[ConsistencyInputSerializer],
        responses={
            200: ConsistencyOutputSerializer,
            404: refusal("No head has the tree size of `from` or `to`."),
            409: refusal("The stored tree is damaged; an operator must run `audit_verify`."),
        },
    )
    def get(self, request: Request) -> Response:
        query = _valid(ConsistencyInputSerializer, request).validated_data
        consistency = selectors.head_consistency(
            actor=request.user, from_size=query["from"], to_size=query.get("to")
        )
        return Response(ConsistencyOutputSerializer(consistency).data)


class TreeHeadExportApi(APIView):
    """The public key and every signed head with its consistency proof, as JSON Lines: what an
    outsider checks with `python -m audit.verify_export`."""

    allowed_roles = AUDIT_READERS

    @extend_schema(responses={(200, "application/jsonl"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            selectors.heads_export(actor=request.user), content_type="application/jsonl"
        )
        response["Content-Disposition"] = 'attachment; filename="afx-audit-heads.jsonl"'
        return response


class AuditExportApi(APIView):
    """`?format=csv|jsonl` and the events filters: the matching events, oldest first, streamed.

    The export is itself audited (`audit_exported`, with its format and filters). `format` is
    this view's own parameter, so DRF's content negotiation (which reads `?format=`) is
    bypassed: errors are JSON like everywhere else.
    """

    allowed_roles = AUDIT_READERS

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        parameters=[ExportInputSerializer],
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.STR, description=EXPORT_DESCRIPTION)
            for media_type in ("application/jsonl", "text/csv")
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        query = _valid(ExportInputSerializer, request)
        export_format = query.validated_data["format"]
        lines = services.events_export(
            actor=request.user, filters=query.filters(), export_format=export_format
        )
        response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[export_format])
        response["Content-Disposition"] = f'attachment; filename="afx-audit-events.{export_format}"'
        return response


class AnomalyListApi(APIView):
    """Findings about the events of `[since, until)`, a window of at most 7 days (default: the
    last 24 hours), oldest first, each with the events behind it; paged like every list."""

    allowed_roles = AUDIT_READERS
    # Read by the schema generator for the page parameters and the paginated response shape.
    pagination_class = SortKeyCursorPagination

    @extend_schema(parameters=[AnomalyInputSerializer], responses=FindingOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        window = _valid(AnomalyInputSerializer, request).validated_data
        paginator = self.pagination_class()
        findings = selectors.anomaly_findings(actor=request.user, **window)
        page, next_url = paginator.paginate(findings, request)
        events = selectors.events_by_id(
            actor=request.user,
            event_ids={event_id for finding in page for event_id in finding.event_ids[:50]},
        )
        data = FindingOutputSerializer(page, many=True, context={"events": events}).data
        return paginator.response(data, next_url)
