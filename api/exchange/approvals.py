"""The supervisor's acts on a waiting query, its cancellation, and a case's holds.

`POST /queries/{id}/approve/`, `/reject/` (a reason code) and `/cancel/` answer the query as
`GET /queries/{id}/` shows it; `GET /cases/{id}/holds/` lists what the case holds on which
account (masked), until when. Thin: who may act on which query or case is decided by the
services (`exchange.services.approvals`, `exchange.services.holds`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import POLICE
from api.schema import refusal
from api.views import request_actor
from core.roles import Role
from exchange.models import Hold
from exchange.services import approvals, holds
from privacy.choices import Kind
from privacy.masking import mask

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


class HoldOutputSerializer(serializers.ModelSerializer):
    account = serializers.SerializerMethodField()
    bank: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    query = serializers.UUIDField(source="query_id", help_text="The instruction that established it.")

    class Meta:
        model = Hold
        fields = [
            "id",
            "query",
            "bank",
            "kind",
            "account",
            "status",
            "amount",
            "partial",
            "started_at",
            "expires_at",
            "warned_at",
            "ended_at",
        ]

    def get_account(self, hold: Hold) -> str:
        """The account, masked; its plaintext is revealed through the query that stopped it."""
        return mask(Kind.ACCOUNT, hold.account)


class CaseHoldListApi(generics.ListAPIView):
    """The stops and freezes of a case, soonest to end first: police of its unit, auditors."""

    serializer_class = HoldOutputSerializer
    allowed_roles = POLICE | {Role.AUDITOR}
    pagination_ordering = "expires_at"

    @extend_schema(
        responses={200: HoldOutputSerializer(many=True), 404: refusal("No such case (or another unit's).")}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Hold]:
        return holds.hold_list(actor=request_actor(self.request), case_id=self.kwargs["pk"])
