"""`GET /api/v1/stats/?from=YYYY-MM-DD&to=YYYY-MM-DD[&unit=<code>]`: the centre's figures.

Days are the centres' own (Asia/Shanghai). Police read their unit's figures; auditors and
administrators every unit's, or one unit's with `unit`. Thin: `stats.selectors` decides scope.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import POLICE
from api.schema import refusal
from api.views import request_actor
from core.roles import Role
from stats.selectors import MAX_DAYS, centre_figures


class StatsInputSerializer(serializers.Serializer):
    # `from` is a Python keyword: the field is named by the serializer's `fields` mapping.
    to = serializers.DateField(help_text="The last day, included (Asia/Shanghai).")
    unit = serializers.SlugField(required=False, help_text="One unit (auditors and administrators).")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            help_text=f"The first day (Asia/Shanghai); at most {MAX_DAYS} days."
        )
        return fields


class QueryCountSerializer(serializers.Serializer):
    kind = serializers.CharField()
    status = serializers.CharField()
    count = serializers.IntegerField()


class OutcomeCountSerializer(serializers.Serializer):
    kind = serializers.CharField()
    outcome = serializers.CharField(help_text="The answer's outcome code: stopped, blocked, refused...")
    count = serializers.IntegerField()


class AnswerTimesSerializer(serializers.Serializer):
    partner = serializers.CharField()
    kind = serializers.CharField()
    answered = serializers.IntegerField()
    p50_ms = serializers.IntegerField()
    p95_ms = serializers.IntegerField()
    deadline_breaches = serializers.IntegerField(help_text="Queries that expired unanswered.")


class WatchlistFiguresSerializer(serializers.Serializer):
    active = serializers.IntegerField(help_text="Entries on the list now.")
    listed = serializers.IntegerField(help_text="Entries listed in the range.")
    delisted = serializers.IntegerField()
    expired = serializers.IntegerField()
    hits = serializers.IntegerField(help_text="Checked values found on the list in the range.")


class StatsOutputSerializer(serializers.Serializer):
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    unit = serializers.CharField(allow_null=True, help_text="None: every unit.")
    queries = QueryCountSerializer(many=True)
    answer_times = AnswerTimesSerializer(many=True)
    traces_started = serializers.IntegerField()
    traces_finished = serializers.IntegerField()
    stop_payments_sent = serializers.IntegerField()
    stops_made = serializers.IntegerField()
    amount_stopped = serializers.DecimalField(max_digits=16, decimal_places=2)
    freezes_sent = serializers.IntegerField()
    freezes_made = serializers.IntegerField()
    amount_frozen = serializers.DecimalField(max_digits=16, decimal_places=2)
    number_blocks_sent = serializers.IntegerField()
    number_blocks_answered = serializers.IntegerField()
    numbers_blocked = serializers.IntegerField(help_text="Blocks answered blocked, or blocked already.")
    outcomes = OutcomeCountSerializer(many=True, help_text="Answered queries by kind and outcome.")
    watchlist = WatchlistFiguresSerializer()


class StatsApi(APIView):
    """The figures of a time range; each reading is recorded (`stats_viewed`)."""

    allowed_roles = POLICE | {Role.AUDITOR, Role.ADMINISTRATOR}

    @extend_schema(
        parameters=[StatsInputSerializer],
        responses={200: StatsOutputSerializer, 404: refusal("Another unit's figures, or no such unit.")},
    )
    def get(self, request: Request) -> Response:
        params = StatsInputSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        figures = centre_figures(request_actor(request), data["from"], data["to"], data.get("unit"))
        return Response(StatsOutputSerializer(asdict(figures)).data)
