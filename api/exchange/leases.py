"""`POST /api/v1/adapter/leases/`: a pull adapter renews the leases of the queries it is still
working on, so a slow handler keeps its query while a killed adapter's come back within the
short lease (`exchange.delivery.inbox.LEASE`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.views import request_actor
from core.roles import Role
from exchange.delivery.inbox import LEASE, inbox_renew

MAX_RENEWALS = 100  # the inbox's largest batch


class LeaseRenewInputSerializer(serializers.Serializer):
    queries = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=MAX_RENEWALS, help_text="Query ids in hand."
    )


class LeaseRenewOutputSerializer(serializers.Serializer):
    renewed = serializers.ListField(child=serializers.UUIDField(), help_text="The leases renewed.")
    lease_until = serializers.DateTimeField(help_text="When the renewed leases run out.")
    lease_seconds = serializers.IntegerField(help_text="The lease's length: renew well within it.")


class LeaseRenewApi(APIView):
    """Renew the caller's leases: only open queries of its own partner whose lease it still
    holds are renewed and listed; any other id is left alone (another partner's, or none, is
    audited as a denial), so the answer tells nothing of queries that are not the caller's."""

    allowed_roles = frozenset({Role.ADAPTER})

    @extend_schema(request=LeaseRenewInputSerializer, responses={200: LeaseRenewOutputSerializer})
    def post(self, request: Request) -> Response:
        data = LeaseRenewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        renewed, until = inbox_renew(adapter=request_actor(request), query_ids=data.validated_data["queries"])
        shown = {"renewed": renewed, "lease_until": until, "lease_seconds": int(LEASE.total_seconds())}
        return Response(LeaseRenewOutputSerializer(shown).data)
