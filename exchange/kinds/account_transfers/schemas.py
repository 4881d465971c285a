"""What a bank is asked about an account (a time window) and answers: who holds it, what is left
on it, and where its money went."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from exchange.kinds.fields import AccountNumberField, amount_field, positive_amount

MAX_TRANSFERS = 500


class Channel(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Transfer at the counter or between banks"
    ONLINE_BANKING = "online_banking", "Online banking"
    MOBILE_BANKING = "mobile_banking", "Mobile banking"
    THIRD_PARTY_PAYMENT = "third_party_payment", "Through a payment platform"
    CASH_WITHDRAWAL = "cash_withdrawal", "Cash withdrawn (ATM or counter): the money leaves the banks"


class AccountTransfersInput(serializers.Serializer):
    account_number = AccountNumberField()
    window_start = serializers.DateTimeField(required=False, allow_null=True)
    window_end = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("window_start"), attrs.get("window_end")
        if start and end and end < start:
            raise serializers.ValidationError({"window_end": ["Before the window's start."]})
        return attrs


class Transfer(serializers.Serializer):
    """One transfer out of the account; a cash withdrawal names no account it went to."""

    to_account = AccountNumberField(required=False, allow_null=True)
    to_bank = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    amount = positive_amount()
    at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=Channel.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        cash = attrs["channel"] == Channel.CASH_WITHDRAWAL
        if cash and attrs.get("to_account"):
            raise serializers.ValidationError({"to_account": ["A cash withdrawal goes to no account."]})
        if not cash and not attrs.get("to_account"):
            raise serializers.ValidationError({"to_account": ["A transfer names the account it went to."]})
        return attrs


class AccountTransfersAnswer(serializers.Serializer):
    holder_name = serializers.CharField(max_length=100)
    holder_id_number = serializers.RegexField(r"^[0-9A-Za-z]{6,30}$", max_length=30)
    balance = amount_field(min_value=0)
    transfers = serializers.ListField(child=Transfer(), max_length=MAX_TRANSFERS, allow_empty=True)
