"""The watchlist's API shapes: entries as the unit sees them (masked), a listing, a check."""

from __future__ import annotations

from rest_framework import serializers

from privacy.masking import mask
from watchlist.choices import DelistReason, EntryKind, EntryStatus, ListingReason, Restriction
from watchlist.models import WatchlistEntry
from watchlist.services import MAX_CHECK_VALUES, MAX_VALUE_LENGTH


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
