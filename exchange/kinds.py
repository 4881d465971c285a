"""The request kinds registry: what each kind takes, what its answer holds, how long it may take.

A new kind is one `KindSpec` here: its input and answer serializers, the query field that
holds the identifier asked about (encrypted, blind-indexed), and its default deadline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from partners.choices import RequestKind
from partners.models import Partner


class OrderLookupInput(serializers.Serializer):
    """A payment platform's order, as the victim's receipt shows it."""

    order_number = serializers.RegexField(r"^[A-Za-z0-9-]{6,40}$", max_length=40)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    paid_at = serializers.DateTimeField(required=False, allow_null=True)


class OrderLookupAnswer(serializers.Serializer):
    """The bank account the platform paid the money into."""

    bank = serializers.CharField(max_length=100)
    account_number = serializers.RegexField(r"^[0-9 ]{8,30}$", max_length=30)
    holder_name = serializers.CharField(max_length=100)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    paid_at = serializers.DateTimeField(required=False, allow_null=True)


@dataclass(frozen=True)
class KindSpec:
    kind: RequestKind
    input_serializer: type[serializers.Serializer]
    answer_serializer: type[serializers.Serializer]
    subject_field: str  # the encrypted `Query` field holding what is asked about
    default_deadline: timedelta

    def validate_input(self, partner: Partner, data: Any) -> dict[str, Any]:
        """The kind's own validation, then the partner's input formats (e.g. its order numbers)."""
        checked = self.input_serializer(data=data)
        checked.is_valid(raise_exception=True)
        values = dict(checked.validated_data)
        errors = {
            name: ["Does not match this partner's format."]
            for name, pattern in partner.input_formats.items()
            if name in values and not re.fullmatch(pattern, str(values[name]))
        }
        if errors:
            raise serializers.ValidationError(errors)
        return values

    def split_input(self, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The identifier asked about (encrypted) and the other, non-personal inputs (JSON)."""
        params = {
            k: (str(v) if v is not None else None) for k, v in values.items() if k != self.subject_field
        }
        return values[self.subject_field], params


# 30 s: the first-response time the Chongqing centre quotes for an emergency query.
KINDS: dict[str, KindSpec] = {
    RequestKind.ORDER_LOOKUP: KindSpec(
        kind=RequestKind.ORDER_LOOKUP,
        input_serializer=OrderLookupInput,
        answer_serializer=OrderLookupAnswer,
        subject_field="order_number",
        default_deadline=timedelta(seconds=30),
    ),
}


def spec_for(kind: str) -> KindSpec | None:
    return KINDS.get(kind)
