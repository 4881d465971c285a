"""The watchlist's API shapes: entries as the unit sees them (masked), a listing, a check,
and a case's phone entries sent to a telecom as blocks."""

from __future__ import annotations

from rest_framework import serializers

from exchange.kinds.number_block.schemas import (
    PERIOD_DEFAULT_DAYS,
    PERIOD_MAX_DAYS,
    PERIOD_MIN_DAYS,
    BlockReason,
)
from privacy.choices import Kind
from privacy.masking import mask
from watchlist.choices import DelistReason, EntryKind, EntryStatus, ListingReason, Restriction
from watchlist.models import WatchlistEntry
from watchlist.services import MAX_CHECK_VALUES, MAX_VALUE_LENGTH, BlockSent, BlocksSent


class EntryOutputSerializer(serializers.ModelSerializer):
    value = serializers.SerializerMethodField(method_name="masked_value", help_text="The value, masked.")
    unit: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source_case = serializers.UUIDField(source="source_case_id", help_text="The case that first listed it.")
    cases = serializers.IntegerField(help_text="How many of the unit's cases listed it.")

    class Meta:
        model = WatchlistEntry
        fields = [
            "id",
            "kind",
            "value",
            "reason",
            "restriction",
            "status",
            "unit",
            "source_case",
            "cases",
            "listed_at",
            "last_involved_at",
            "expires_at",
            "delisted_at",
            "delist_reason",
        ]

    def masked_value(self, entry: WatchlistEntry) -> str:
        return mask(entry.kind, entry.value)


class EntryInputSerializer(serializers.Serializer):
    case = serializers.UUIDField(help_text="A case of your unit in which the value was confirmed.")
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    value = serializers.CharField(max_length=MAX_VALUE_LENGTH, trim_whitespace=True)
    reason = serializers.ChoiceField(choices=ListingReason.choices)
    restriction = serializers.ChoiceField(choices=Restriction.choices)


class DelistInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DelistReason.choices)


class EntryListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EntryStatus.choices, required=False)


class CheckItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    value = serializers.CharField(max_length=MAX_VALUE_LENGTH)


class CheckInputSerializer(serializers.Serializer):
    values = serializers.ListField(
        child=CheckItemSerializer(), min_length=1, max_length=MAX_CHECK_VALUES, allow_empty=False
    )


class CheckResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The value's place in the request, from 0.")
    listed = serializers.BooleanField()
    restriction = serializers.ChoiceField(
        choices=Restriction.choices,
        allow_null=True,
        help_text="The strictest restriction asked; null if not listed.",
    )


class CheckOutputSerializer(serializers.Serializer):
    results = CheckResultSerializer(many=True)


class BlocksInputSerializer(serializers.Serializer):
    case = serializers.UUIDField(help_text="A case of your unit: its listed phone numbers are sent.")
    telecom = serializers.SlugField(max_length=50, help_text="The code of the telecom operator.")
    days = serializers.IntegerField(
        min_value=PERIOD_MIN_DAYS,
        max_value=PERIOD_MAX_DAYS,
        default=PERIOD_DEFAULT_DAYS,
        help_text="How long each number is blocked.",
    )
    reason = serializers.ChoiceField(choices=BlockReason.choices)


class BlockSentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="query.pk", help_text="The number_block query.")
    entry = serializers.UUIDField(source="entry.pk", help_text="The watchlist entry sent.")
    phone_number = serializers.SerializerMethodField(help_text="The number, masked.")
    status = serializers.CharField(source="query.status")
    reason = serializers.CharField(source="query.reason", help_text="Why it was refused, if it was.")
    deadline = serializers.DateTimeField(source="query.deadline")

    def get_phone_number(self, sent: BlockSent) -> str:
        return mask(Kind.PHONE, sent.query.subject)


class BlocksOutputSerializer(serializers.Serializer):
    case = serializers.UUIDField(source="case.pk")
    count = serializers.SerializerMethodField(help_text="How many number_block queries were made.")
    skipped = serializers.IntegerField(help_text="Phone entries no operator could block (too many digits).")
    queries = BlockSentSerializer(source="sent", many=True)

    def get_count(self, blocks: BlocksSent) -> int:
        return len(blocks.sent)
