"""Liveness and readiness for load balancers and operators: is the database reachable?"""

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthApi(APIView):
    """Public on purpose: it says only whether the parts are up, nothing about data."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request: Request) -> Response:
        checks = {"database": _database_ok()}
        healthy = all(checks.values())
        return Response(
            {"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503
        )


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False
