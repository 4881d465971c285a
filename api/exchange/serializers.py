"""What the exchange's API takes and shows. Personal values leave masked, always."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.choices import ANSWER_STATUSES, FraudType, QueryStatus, RevealPurpose
from exchange.kinds import KINDS
from exchange.models import Case, Query
from exchange.services.queries import MAX_BATCH
from partners.choices import RequestKind
from privacy.choices import Kind
from privacy.masking import mask
from privacy.serializers import MaskedField


class CaseInputSerializer(serializers.Serializer):
    number = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$", max_length=64)
    title = serializers.CharField(max_length=300)
    fraud_type = serializers.ChoiceField(choices=FraudType.choices)
    legal_basis = serializers.CharField(max_length=300)
    victim_loss = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class CaseOutputSerializer(serializers.ModelSerializer):
    unit: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    title = MaskedField(kind=Kind.FREE_TEXT)
    opened_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "unit",
            "number",
            "title",
            "fraud_type",
            "legal_basis",
            "victim_loss",
            "status",
            "opened_by",
            "opened_at",
            "closed_at",
        ]


class QueryInputSerializer(serializers.Serializer):
    """One query; `input` is validated by its kind (see `exchange.kinds`)."""

    case = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    partner = serializers.SlugField(max_length=40)
    input = serializers.JSONField()
    deadline_seconds = serializers.IntegerField(
        min_value=5,
        max_value=7 * 24 * 3600,
        required=False,
        help_text="Default: the kind's (30 s for lookups).",
    )


class QueryFilterSerializer(serializers.Serializer):
    """`GET /queries/` filters: a filter that is given must be valid (400), never ignored."""

    case = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=QueryStatus.choices, required=False)


@extend_schema_field(QueryInputSerializer)
class BatchItemField(serializers.DictField):
    """One query of a batch: an object, validated on its own (`QueryInputSerializer`) so that a
    bad item refuses only itself, in the batch's answer."""


class BatchInputSerializer(serializers.Serializer):
    queries = serializers.ListField(child=BatchItemField(), min_length=1, max_length=MAX_BATCH)


class QueryResultSerializer(serializers.Serializer):
    bank = serializers.CharField(source="result_bank")
    account_number = MaskedField(source="result_account", kind=Kind.ACCOUNT)
    holder_name = MaskedField(source="result_holder", kind=Kind.NAME)
    amount = serializers.DecimalField(
        source="result_amount", max_digits=14, decimal_places=2, allow_null=True
    )
    paid_at = serializers.DateTimeField(source="result_paid_at", allow_null=True)


class QueryOutputSerializer(serializers.ModelSerializer):
    case = serializers.UUIDField(source="case_id")
    partner: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    input = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    class Meta:
        model = Query
        fields = [
            "id",
            "case",
            "kind",
            "partner",
            "status",
            "reason",
            "partner_reason",
            "input",
            "created_at",
            "deadline",
            "dispatched_at",
            "answered_at",
            "closed_at",
            "result",
        ]

    def get_input(self, query: Query) -> dict[str, Any]:
        subject = KINDS[query.kind].subject_field
        value = getattr(query, subject)
        kind = Query._meta.get_field(subject).kind  # type: ignore[union-attr]
        return {subject: None if value is None else mask(kind, value), **query.params}

    def get_result(self, query: Query) -> dict[str, Any] | None:
        if query.status not in ANSWER_STATUSES or query.result_account is None:
            return None
        return dict(QueryResultSerializer(query).data)


class RevealInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=RevealPurpose.choices)


class AccountSearchInputSerializer(serializers.Serializer):
    # Digits, in groups as printed on a card or a statement (single spaces or dashes between).
    account_number = serializers.RegexField(r"^[0-9](?:[ -]?[0-9]){5,33}$", max_length=70)


class InboxInputSerializer(serializers.Serializer):
    """`GET /adapter/inbox/` parameters; out of range or not a number is a 400."""

    wait = serializers.FloatField(
        min_value=0, max_value=25, required=False, default=0, help_text="Seconds to long-poll."
    )
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False, default=50)


class AccountSearchOutputSerializer(serializers.Serializer):
    cases = CaseOutputSerializer(many=True)
    other_units_cases = serializers.IntegerField()


class AnswerOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
