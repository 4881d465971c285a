"""What the audit API takes and shows. Events carry no plaintext personal data by construction
(`audit.services.event_record`), so auditors see them whole: masked data only."""

from __future__ import annotations

import base64
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit import vocabulary
from audit.anomalies import anomaly_window
from audit.choices import Outcome
from audit.exporters import consistency_document, head_document, proof_document
from audit.selectors import EventFilters, EventProof, HeadConsistency
from core.errors import Invalid


@extend_schema_field(OpenApiTypes.BYTE)
class Base64Field(serializers.Field):
    """Bytes as padded standard base64, the encoding of `audit.head_signature`'s exports."""

    def to_representation(self, value: bytes) -> str:
        return base64.b64encode(bytes(value)).decode("ascii")


class QueryParamsSerializer(serializers.Serializer):
    """Query parameters: one that is given is validated, even when empty.

    DRF reads `?until=` on an optional field as absent, so an export meant to stop at a date
    would quietly run to now; here an empty value is a 400 like any other invalid one.
    """

    def to_internal_value(self, data: Any) -> Any:
        empty = {name: ["May not be empty."] for name, _ in self.fields.items() if data.get(name) == ""}
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)


class EventFilterInputSerializer(QueryParamsSerializer):
    actor = serializers.CharField(
        required=False, max_length=120, help_text="Actor id, e.g. person:officer-a."
    )
    partner = serializers.CharField(required=False, max_length=40, help_text="The actor's partner code.")
    # Filled per instance: the actions are those every app has registered by then.
    action = serializers.ChoiceField(choices=[], required=False)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    case = serializers.CharField(required=False, max_length=64)
    target_type = serializers.CharField(required=False, max_length=60)
    target_id = serializers.CharField(required=False, max_length=64)
    since = serializers.DateTimeField(required=False, help_text="Inclusive.")
    until = serializers.DateTimeField(required=False, help_text="Exclusive.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = vocabulary.choices()  # type: ignore[attr-defined]

    def filters(self) -> EventFilters:
        return EventFilters(**self.validated_data)


class ExportInputSerializer(EventFilterInputSerializer):
    format = serializers.ChoiceField(choices=["csv", "jsonl"], default="jsonl")

    def filters(self) -> EventFilters:
        return EventFilters(**{k: v for k, v in self.validated_data.items() if k != "format"})


class EventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor_type = serializers.CharField()
    actor_id = serializers.CharField()
    actor_partner = serializers.CharField()
    actor_role = serializers.CharField()
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    case_id = serializers.CharField()
    request_id = serializers.CharField()
    source_address = serializers.CharField(allow_null=True)
    outcome = serializers.CharField()
    details = serializers.JSONField()
    leaf_index = serializers.IntegerField(allow_null=True, help_text="Null until the sequencer has run.")


class HeadOutputSerializer(serializers.Serializer):
    """A signed tree head, in the layout of `audit.exporters.head_document`."""

    number = serializers.IntegerField()
    format = serializers.CharField()
    tree_size = serializers.IntegerField()
    timestamp_ms = serializers.IntegerField()
    root_hash = serializers.CharField(help_text="Base64.")
    signature = serializers.CharField(help_text="Base64 Ed25519 signature over the head's canonical bytes.")
    link_signature = serializers.CharField(
        help_text="Base64 Ed25519 signature binding the head to its number."
    )
    key_id = serializers.CharField()
    published_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return head_document(instance)


class ProofInputSerializer(QueryParamsSerializer):
    tree_size = serializers.IntegerField(required=False, min_value=1, help_text="Default: the latest head.")


class ProofOutputSerializer(serializers.Serializer):
    """Its fields say the schema; the document is `audit.exporters.proof_document`, the one
    builder the API and the console share."""

    event_id = serializers.IntegerField()
    leaf_index = serializers.IntegerField()
    leaf_bytes = serializers.CharField(help_text="The canonical bytes (UTF-8 JSON) the leaf hashes.")
    leaf_hash = serializers.CharField(help_text="Base64 SHA-256 of 0x00 and the leaf bytes (RFC 6962).")
    head = HeadOutputSerializer()
    proof = serializers.ListField(child=Base64Field())

    def to_representation(self, instance: EventProof) -> dict[str, Any]:
        return proof_document(instance)


class ConsistencyInputSerializer(QueryParamsSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.IntegerField(min_value=1, help_text="Tree size of the older head."),
            "to": serializers.IntegerField(
                min_value=1, required=False, help_text="Tree size of the newer head; default the latest."
            ),
        }


class ConsistencyOutputSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": HeadOutputSerializer(source="older"),
            "to": HeadOutputSerializer(source="newer"),
            "proof": serializers.ListField(child=Base64Field()),
        }

    def to_representation(self, instance: HeadConsistency) -> dict[str, Any]:
        return consistency_document(instance)


class AnomalyInputSerializer(QueryParamsSerializer):
    """The window `[since, until)`: `audit.anomalies.anomaly_window` says which are accepted."""

    since = serializers.DateTimeField(
        required=False, help_text="Inclusive. Default: 24 hours before `until`; at most 7 days before it."
    )
    until = serializers.DateTimeField(
        required=False, help_text="Exclusive. Default: now; after `since`, at most 7 days after it."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            since, until = anomaly_window(since=data.get("since"), until=data.get("until"))
        except Invalid as refused:
            raise serializers.ValidationError(refused.fields or refused.message) from None
        return {"since": since, "until": until}


class FindingOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    actor_id = serializers.CharField()
    partner = serializers.CharField()
    summary = serializers.CharField()
    first_at = serializers.DateTimeField()
    event_count = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField(
        help_text="The events behind the finding, oldest first (50 at most)."
    )

    def get_event_count(self, finding: Any) -> int:
        return len(finding.event_ids)

    @extend_schema_field(EventOutputSerializer(many=True))
    def get_events(self, finding: Any) -> list[dict[str, Any]]:
        events = self.context["events"]
        return [EventOutputSerializer(events[event_id]).data for event_id in finding.event_ids[:50]]
