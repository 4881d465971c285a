"""A number block: the unit asks a telecom operator to block a phone number used in a fraud,
for a period; the operator answers blocked (until when), already blocked (until when) or
refused with a reason code."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

# Digits, maybe with a leading `+` and grouped by spaces or hyphens as printed: from a
# three-digit emergency number to an international number. Kept as given; the blind index
# normalises it (`+86 138 1234 5678` and `13812345678` are one number).
PHONE_PATTERN = r"^\+?[0-9][0-9 -]{1,22}[0-9]$"
PHONE_MAX_LENGTH = 24

PERIOD_MIN_DAYS = 1
PERIOD_MAX_DAYS = 365
PERIOD_DEFAULT_DAYS = 180


class BlockReason(models.TextChoices):
    """Why the unit asks for the block: what the number was used for."""

    FRAUD_CALL = "fraud_call", "Fraud calls"
    FRAUD_SMS = "fraud_sms", "Fraud text messages"
    IMPERSONATION = "impersonation", "Impersonating police, a court or an official"
    FAKE_CUSTOMER_SERVICE = "fake_customer_service", "Posing as a company's customer service"
    PHISHING_LINK = "phishing_link", "Sending links to phishing sites or apps"
    MONEY_MULE_CONTACT = "money_mule_contact", "Recruiting or directing money mules"


class BlockOutcome(models.TextChoices):
    BLOCKED = "blocked", "Blocked"
    ALREADY_BLOCKED = "already_blocked", "Blocked already"
    REFUSED = "refused", "Refused by the operator"


class TelecomRefusal(models.TextChoices):
    """Why an operator refuses a block: codes, never free text, since an operator's own words
    could name its subscriber."""

    PROTECTED_NUMBER = "protected_number", "An emergency, government or service number, never blocked"
    NOT_OUR_NUMBER = "not_our_number", "The operator does not serve this number"
    NUMBER_INACTIVE = "number_inactive", "The number is not in service"
    OTHER = "other", "Another reason the operator gives in writing"


PHONE_MIN_DIGITS = 3  # 110
PHONE_MAX_DIGITS = 15  # E.164


class PhoneNumberField(serializers.RegexField):
    default_error_messages = {"digits": f"From {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PHONE_PATTERN, max_length=PHONE_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data))
        if not PHONE_MIN_DIGITS <= sum(c.isdigit() for c in value) <= PHONE_MAX_DIGITS:
            self.fail("digits")
        return value


class NumberBlockInput(serializers.Serializer):
    phone_number = PhoneNumberField()
    reason = serializers.ChoiceField(choices=BlockReason.choices)
    period_days = serializers.IntegerField(
        min_value=PERIOD_MIN_DAYS, max_value=PERIOD_MAX_DAYS, default=PERIOD_DEFAULT_DAYS
    )


class NumberBlockAnswer(serializers.Serializer):
    """The operator's answer for the number: the number as it holds it (masked, revealable),
    the outcome, the end of the block in force, or the reason it refused."""

    phone_number = PhoneNumberField()
    outcome = serializers.ChoiceField(choices=BlockOutcome.choices)
    until = serializers.DateTimeField(required=False, allow_null=True)
    refusal_reason = serializers.ChoiceField(choices=TelecomRefusal.choices, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refused = attrs["outcome"] == BlockOutcome.REFUSED
        if not refused and attrs.get("until") is None:
            raise serializers.ValidationError({"until": ["A block in force says until when."]})
        if refused and attrs.get("until") is not None:
            raise serializers.ValidationError({"until": ["A refusal blocks nothing."]})
        if refused and not attrs.get("refusal_reason"):
            raise serializers.ValidationError({"refusal_reason": ["A refusal gives its reason."]})
        if not refused and attrs.get("refusal_reason"):
            raise serializers.ValidationError({"refusal_reason": ["Only a refusal gives a reason."]})
        return attrs
