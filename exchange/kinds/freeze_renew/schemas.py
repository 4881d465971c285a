"""Renewing a freeze: another period under a new decision."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from exchange.kinds.fields import FREEZE_MAX_DAYS, AccountNumberField, BankRefusal, decision_reference


class RenewOutcome(models.TextChoices):
    RENEWED = "renewed", "Renewed for another period"
    REFUSED = "refused", "Refused by the bank"


class FreezeRenewInput(serializers.Serializer):
    account_number = AccountNumberField()
    decision_reference = decision_reference()
    period_days = serializers.IntegerField(min_value=1, max_value=FREEZE_MAX_DAYS, default=FREEZE_MAX_DAYS)


class FreezeRenewAnswer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=RenewOutcome.choices)
    renewed_at = serializers.DateTimeField(required=False, allow_null=True)
    refusal_reason = serializers.ChoiceField(choices=BankRefusal.choices, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["outcome"] == RenewOutcome.REFUSED and not attrs.get("refusal_reason"):
            raise serializers.ValidationError({"refusal_reason": ["A refusal gives its reason."]})
        if attrs["outcome"] == RenewOutcome.RENEWED and not attrs.get("renewed_at"):
            raise serializers.ValidationError({"renewed_at": ["A renewal says when it took effect."]})
        return attrs
