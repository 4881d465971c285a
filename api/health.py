"""Liveness and readiness for load balancers and operators: is the database reachable, and is
the audit sequencer keeping up (no committed event waiting longer than a minute)?"""

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.conf import lag_alert_seconds
from audit.selectors import sequencer_lag_seconds


class HealthApi(APIView):
    """Public on purpose: it says only whether the parts are up, nothing about data."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request: Request) -> Response:
        if not _database_ok():
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


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False
