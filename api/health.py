"""Liveness and readiness for load balancers and operators.

`health/` is the liveness probe it always was: is the database reachable, and is the audit
sequencer keeping up (no committed event waiting longer than `AFX_AUDIT_LAG_ALERT_SECONDS`)?
`health/ready/` is the readiness probe: may this process take traffic, with the database,
Celery's broker and the sequencer each named with its state, so an operator sees which one
holds it back. Both say only whether the parts are up: no error text, host name or URL.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.conf import lag_alert_seconds
from audit.selectors import sequencer_lag_seconds
from observability.readiness import FAILING, LAGGING, OK, UP_OR_DOWN, database_ok, readiness


class HealthApi(APIView):
    """Public on purpose: it says only whether the parts are up, nothing about data."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request: Request) -> Response:
        if not database_ok():
            return Response({"status": "failing", "checks": {"database": False}}, status=503)
        lag = sequencer_lag_seconds()
        checks = {"database": True, "audit_sequencer": lag <= lag_alert_seconds()}
        healthy = all(checks.values())
        return Response(
            {
                "status": "ok" if healthy else "failing",
                "checks": checks,
                "audit_sequencer_lag_seconds": round(lag),
            },
            status=200 if healthy else 503,
        )


_READINESS = inline_serializer(
    "Readiness",
    {
        "status": serializers.ChoiceField(choices=["ready", "not_ready"]),
        "checks": inline_serializer(
            "ReadinessChecks",
            {
                "database": serializers.ChoiceField(choices=UP_OR_DOWN),
                "broker": serializers.ChoiceField(choices=UP_OR_DOWN),
                "audit_sequencer": serializers.ChoiceField(choices=[OK, LAGGING, FAILING]),
            },
        ),
        "audit_sequencer_lag_seconds": serializers.IntegerField(allow_null=True),
    },
)


class ReadinessApi(APIView):
    """Public like liveness, for the same reason: states only, nothing about data or hosts."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: _READINESS, 503: _READINESS})
    def get(self, request: Request) -> Response:
        checks, lag = readiness()
        ready = all(state == OK for state in checks.values())
        return Response(
            {
                "status": "ready" if ready else "not_ready",
                "checks": checks,
                "audit_sequencer_lag_seconds": None if lag is None else round(lag),
            },
            status=200 if ready else 503,
        )
