"""What a number-owner query takes and answers."""

from rest_framework import serializers


class NumberOwnerInput(serializers.Serializer):
    phone_number = serializers.RegexField(r"^\+?[0-9 ]{7,20}$", max_length=20)
    since = serializers.DateField(required=False, allow_null=True)


class NumberOwnerAnswer(serializers.Serializer):
    operator = serializers.CharField(max_length=100)
    holder_name = serializers.CharField(max_length=100)
    forwarded_to = serializers.RegexField(r"^\+?[0-9 ]{7,20}$", required=False, allow_null=True)
