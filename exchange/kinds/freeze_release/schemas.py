"""Releasing a freeze: the decision that lifts it."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from exchange.kinds.fields import AccountNumberField, BankRefusal, decision_reference


class ReleaseOutcome(models.TextChoices):
    RELEASED = "released", "Released"
    REFUSED = "refused", "Refused by the bank"


class FreezeReleaseInput(serializers.Serializer):
    account_number = AccountNumberField()
    decision_reference = decision_reference()


class FreezeReleaseAnswer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReleaseOutcome.choices)
    released_at = serializers.DateTimeField(required=False, allow_null=True)
    refusal_reason = serializers.ChoiceField(choices=BankRefusal.choices, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["outcome"] == ReleaseOutcome.REFUSED and not attrs.get("refusal_reason"):
            raise serializers.ValidationError({"refusal_reason": ["A refusal gives its reason."]})
        if attrs["outcome"] == ReleaseOutcome.RELEASED and not attrs.get("released_at"):
            raise serializers.ValidationError({"released_at": ["A release says when it took effect."]})
        return attrs
