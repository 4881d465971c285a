"""What an order lookup takes (the victim's receipt) and answers (where the money went)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from exchange.kinds.fields import AccountNumberField


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
    account_number = AccountNumberField()
    holder_name = serializers.CharField(max_length=100)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    paid_at = serializers.DateTimeField(required=False, allow_null=True)
