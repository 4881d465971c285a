"""Input and answer fields the banks' kinds share: account numbers, amounts, the reasons a bank
gives for refusing an instruction, and the checks of an instruction's own inputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from rest_framework import serializers

ACCOUNT_PATTERN = r"^[0-9 ]{8,30}$"


class AccountNumberField(serializers.RegexField):
    """Digits, maybe grouped by spaces as printed; kept without the spaces."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ACCOUNT_PATTERN, max_length=30, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return str(super().to_internal_value(data)).replace(" ", "")

    def to_representation(self, value: Any) -> str:
        return str(value).replace(" ", "")


def amount_field(**kwargs: Any) -> serializers.DecimalField:
    """Yuan with fen, up to a trillion."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def positive_amount(**kwargs: Any) -> serializers.DecimalField:
    return amount_field(min_value=Decimal("0.01"), **kwargs)


class BankRefusal(models.TextChoices):
    """Why a bank refuses an instruction: codes, never free text, since a bank's own words
    could name its customer."""

    ACCOUNT_CLOSED = "account_closed", "The account is closed"
    NOT_OUR_ACCOUNT = "not_our_account", "The bank holds no such account"
    NO_FUNDS = "no_funds", "Nothing left to hold on the account"
    ALREADY_HELD = "already_held", "Held already by another authority"
    LIMIT_REACHED = "limit_reached", "The rules allow no further stop on this account"
    NO_ACTIVE_FREEZE = "no_active_freeze", "No freeze of this case is in force on the account"
    SIGNATURE_INVALID = "signature_invalid", "The unit's signature on the instruction did not verify"
    OTHER = "other", "Another reason the bank gives in writing"


# The decision document a freeze, a renewal or a release is made under, the number of its decision document.
def decision_reference() -> serializers.CharField:
    return serializers.CharField(min_length=3, max_length=80)


FREEZE_MAX_DAYS = 180  # six months per decision; renewals add another period each
