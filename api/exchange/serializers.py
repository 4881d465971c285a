"""What the exchange's API takes and shows. Personal values leave masked, always."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.schema import ERROR_SCHEMA
from core import request_kinds
from exchange.choices import FraudType, QueryStatus, RevealPurpose
from exchange.kinds import spec_of
from exchange.models import Case, Query
from exchange.services.queries import MAX_BATCH, MAX_DEADLINE_SECONDS, MIN_DEADLINE_SECONDS
from privacy.choices import Kind
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


class RequestKindField(serializers.ChoiceField):
    """One of the request kinds registered when the apps loaded (`core.request_kinds`).

    Read when a serializer is made (DRF copies declared fields by calling `__init__` again),
    not when this module is imported, which may be before the kinds are registered.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=request_kinds.choices(), **kwargs)


class QueryInputSerializer(serializers.Serializer):
    """One query; `input` is validated by its kind (see `exchange.kinds`)."""

    case = serializers.UUIDField()
    kind = RequestKindField()
    partner = serializers.SlugField(max_length=40)
    input = serializers.JSONField()
    deadline_seconds = serializers.IntegerField(
        min_value=MIN_DEADLINE_SECONDS,
        max_value=MAX_DEADLINE_SECONDS,
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


class QueryOutputSerializer(serializers.ModelSerializer):
    case = serializers.UUIDField(source="case_id")
    partner: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    input = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    watchlist_cases = serializers.SerializerMethodField()

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
            "watchlist_cases",
        ]

    def get_input(self, query: Query) -> dict[str, Any]:
        """The kind's input, its subject masked (an order lookup: `order_number`, `amount`,
        `paid_at`)."""
        return spec_of(query).masked_input(query)

    def get_result(self, query: Query) -> dict[str, Any] | None:
        """The answer as the kind's answer schema has it, personal values masked; null until
        answered (an order lookup: `bank`, `account_number`, `holder_name`, `amount`, `paid_at`)."""
        return spec_of(query).masked_answer(query)

    def get_watchlist_cases(self, query: Query) -> int | None:
        """For police: how many cases, of any unit, list the query's subject on the watchlist
        (0: none); null for everybody else."""
        counts = self.context.get("watchlist_cases")
        if counts is None:
            return None
        return counts.get(bytes(query.subject_index), 0) if query.subject_index else 0


class RevealInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=RevealPurpose.choices)


class RevealOutputSerializer(serializers.Serializer):
    """The plaintext of a query's personal values, each under the name its kind reveals it as."""

    id = serializers.UUIDField()
    revealed = serializers.DictField(
        child=serializers.CharField(),
        help_text="An order lookup: `order_number`, and once answered `result_account` and "
        "`result_holder`; `partner_reason` when the partner gave one.",
    )


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


@extend_schema_field(ERROR_SCHEMA["properties"]["error"])
class ErrorField(serializers.DictField):
    """A refusal in the one error shape's inner object (`code`, `message`, `fields`)."""


class BatchItemOutputSerializer(serializers.Serializer):
    """One item of a batch's answer, at its index: the query accepted, or why not (with the
    refused query's id when the gateway kept it as `refused`)."""

    index = serializers.IntegerField()
    accepted = serializers.BooleanField()
    query = QueryOutputSerializer(required=False, help_text="When accepted.")
    query_id = serializers.UUIDField(required=False, allow_null=True, help_text="When refused.")
    error = ErrorField(required=False, help_text="When refused.")


class BatchOutputSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BatchItemOutputSerializer(many=True)


class WireQuerySerializer(serializers.Serializer):
    """A query as its partner receives it, the same in a push and in the inbox
    (`exchange.wire.query_to_wire`)."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    partner = serializers.CharField()
    case_reference = serializers.CharField()
    input = serializers.DictField(help_text="The kind's input, its subject in plaintext.")
    deadline = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    instruction = serializers.DictField(
        required=False,
        help_text="Stops and freezes: {unit, key_id, signature}, the ordering unit's Ed25519 "
        "signature over the instruction (afx_sdk.instructions).",
    )


class InboxOutputSerializer(serializers.Serializer):
    results = WireQuerySerializer(
        many=True, help_text="Leased to the caller for 10 s, renewed through /adapter/leases/ while it works."
    )
