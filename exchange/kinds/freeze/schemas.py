"""A freeze by decision, its renewal and its release: what they take and answer."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from exchange.kinds.fields import (
    FREEZE_MAX_DAYS,
    AccountNumberField,
    BankRefusal,
    decision_reference,
    positive_amount,
)


class FreezeOutcome(models.TextChoices):
    FROZEN = "frozen", "Frozen in full"
    PARTIALLY_FROZEN = "partially_frozen", "Partially frozen: less than asked was on the account"
    REFUSED = "refused", "Refused by the bank"


class FreezeInput(serializers.Serializer):
    account_number = AccountNumberField()
    holder_name = serializers.CharField(max_length=100)
    amount = positive_amount()
    decision_reference = decision_reference()
    period_days = serializers.IntegerField(min_value=1, max_value=FREEZE_MAX_DAYS, default=FREEZE_MAX_DAYS)


class FreezeAnswer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FreezeOutcome.choices)
    amount_frozen = positive_amount(required=False, allow_null=True)
    frozen_at = serializers.DateTimeField(required=False, allow_null=True)
    refusal_reason = serializers.ChoiceField(choices=BankRefusal.choices, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["outcome"] == FreezeOutcome.REFUSED:
            if not attrs.get("refusal_reason"):
                raise serializers.ValidationError({"refusal_reason": ["A refusal gives its reason."]})
        elif not (attrs.get("amount_frozen") and attrs.get("frozen_at")):
            raise serializers.ValidationError("A freeze names the amount frozen and when it started.")
        return attrs
