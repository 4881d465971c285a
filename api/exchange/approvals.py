"""The supervisor's acts on a waiting query, and its cancellation.

`POST /queries/{id}/approve/`, `/reject/` (a reason code) and `/cancel/` answer the query as
`GET /queries/{id}/` shows it. Thin: who may act on which query is decided by the service
(`exchange.services.approvals`); a case's holds are listed by `api.exchange.holds`."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import POLICE
from api.schema import refusal
from api.views import request_actor
from exchange.services import approvals

from .serializers import QueryOutputSerializer

_NOT_REACHED = refusal("No such query, or one you may not approve (the same answer).")
_NOT_WAITING = refusal("The query is not awaiting approval.")


class QueryApproveApi(APIView):
    """A supervisor of the unit lets a waiting query leave; never the officer who asked."""

    allowed_roles = POLICE

    @extend_schema(
        request=None,
        responses={
            200: QueryOutputSerializer,
            403: refusal("You cannot approve your own request."),
            404: _NOT_REACHED,
            409: _NOT_WAITING,
        },
    )
    def post(self, request: Request, pk: UUID) -> Response:
        query = approvals.query_approve(actor=request_actor(request), query_id=pk)
        return Response(QueryOutputSerializer(query).data)


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=approvals.RejectionReason.choices)


class QueryRejectApi(APIView):
    """A supervisor of the unit refuses a waiting query for good, with a reason code."""

    allowed_roles = POLICE

    @extend_schema(
        request=RejectInputSerializer,
        responses={
            200: QueryOutputSerializer,
            403: refusal("You cannot reject your own request."),
            404: _NOT_REACHED,
            409: _NOT_WAITING,
        },
    )
    def post(self, request: Request, pk: UUID) -> Response:
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        query = approvals.query_reject(
            actor=request_actor(request), query_id=pk, reason=data.validated_data["reason"]
        )
        return Response(QueryOutputSerializer(query).data)


class QueryCancelApi(APIView):
    """Its requester, or a supervisor of the unit, cancels a query before its answer."""

    allowed_roles = POLICE

    @extend_schema(
        request=None,
        responses={
            200: QueryOutputSerializer,
            403: refusal("Only its requester or a supervisor cancels a query."),
            404: refusal("No such query, or one of another unit (the same answer)."),
            409: refusal("The query is already answered or closed."),
        },
    )
    def post(self, request: Request, pk: UUID) -> Response:
        query = approvals.query_cancel(actor=request_actor(request), query_id=pk)
        return Response(QueryOutputSerializer(query).data)
