"""A case's holds: the stops and freezes its instructions established at the banks.

`GET /cases/{id}/holds/` lists what the case holds on which account (masked), how much, and
until when. Thin: who may read which case is decided by the service (`exchange.services.holds`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import POLICE
from api.schema import refusal
from api.views import request_actor
from core.roles import Role
from exchange.models import Hold
from exchange.services import holds
from privacy.choices import Kind
from privacy.masking import mask


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
