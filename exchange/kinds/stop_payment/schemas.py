"""An emergency stop-payment (Yinfa [2016] No. 86): the account, its holder's name, and the amount
and time of the transaction the money came in with, which the bank checks against its records."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from exchange.kinds.fields import AccountNumberField, BankRefusal, positive_amount


class StopOutcome(models.TextChoices):
    STOPPED = "stopped", "Stopped for 48 hours"
    NOT_MATCHED = "not_matched", "Not stopped: the instruction does not match the bank's records"
    REFUSED = "refused", "Refused by the bank"


class CheckedField(models.TextChoices):
    """The four values the bank checks; a mismatch names which, never the bank's own value."""

    HOLDER_NAME = "holder_name", "Account name"
    ACCOUNT_NUMBER = "account_number", "Account number"
    AMOUNT = "amount", "Amount"
    TRANSACTION_TIME = "transaction_time", "Transaction time"


class StopPaymentInput(serializers.Serializer):
    account_number = AccountNumberField()
    holder_name = serializers.CharField(max_length=100)
    amount = positive_amount()
    transaction_at = serializers.DateTimeField()


class StopPaymentAnswer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=StopOutcome.choices)
    amount_held = positive_amount(required=False, allow_null=True)
    stopped_at = serializers.DateTimeField(required=False, allow_null=True)
    mismatched = serializers.ListField(
        child=serializers.ChoiceField(choices=CheckedField.choices), required=False, max_length=4
    )
    refusal_reason = serializers.ChoiceField(choices=BankRefusal.choices, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        outcome = attrs["outcome"]
        if outcome == StopOutcome.STOPPED and not (attrs.get("amount_held") and attrs.get("stopped_at")):
            raise serializers.ValidationError("A stop names the amount held and when it started.")
        if outcome == StopOutcome.NOT_MATCHED and not attrs.get("mismatched"):
            raise serializers.ValidationError({"mismatched": ["Say which of the four values did not match."]})
        if outcome == StopOutcome.REFUSED and not attrs.get("refusal_reason"):
            raise serializers.ValidationError({"refusal_reason": ["A refusal gives its reason."]})
        return attrs
