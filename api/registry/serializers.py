"""What the registry API shows: codes, names, roles, key ids and public keys, never a secret."""

from rest_framework import serializers

from partners.models import AdapterKey, Grant, Partner, Person


class PartnerOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["code", "name", "kind", "status", "delivery", "answers", "bins", "created_at"]


class PersonOutputSerializer(serializers.ModelSerializer):
    partner: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Person
        fields = ["username", "partner", "role", "is_active", "date_joined"]


class AdapterKeyOutputSerializer(serializers.ModelSerializer):
    partner: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    is_revoked = serializers.BooleanField(read_only=True)

    class Meta:
        model = AdapterKey
        fields = [
            "key_id",
            "partner",
            "label",
            "public_key",
            "created_at",
            "revoked_at",
            "is_revoked",
            "last_used_at",
        ]


class GrantOutputSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit_code", read_only=True)
    partner: serializers.SlugRelatedField = serializers.SlugRelatedField(
        source="content_object", slug_field="code", read_only=True
    )
    kind = serializers.CharField(source="request_kind", read_only=True)
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Grant
        fields = ["id", "unit", "partner", "kind", "legal_basis", "granted_at", "expires_at", "is_active"]

    def get_is_active(self, grant: Grant) -> bool:
        return grant.is_active_at(self.context["now"])


class MeOutputSerializer(serializers.Serializer):
    """The signed-in identity: a person, or an adapter and the key it signs with."""

    identity = serializers.CharField(source="actor_label")
    role = serializers.CharField()
    partner = PartnerOutputSerializer()


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=80)
    password = serializers.CharField(max_length=200, trim_whitespace=False, style={"input_type": "password"})


class EnrolInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=80)
    code = serializers.CharField(
        max_length=100,
        trim_whitespace=True,
        help_text="Both halves of the code, first then second, no space.",
    )
    password = serializers.CharField(max_length=200, trim_whitespace=False, style={"input_type": "password"})


class EnrolmentWitnessOutputSerializer(serializers.Serializer):
    code_half = serializers.CharField(help_text="The second half of the code: it follows the first.")


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = serializers.CharField(
        max_length=200, trim_whitespace=False, style={"input_type": "password"}
    )
    new_password = serializers.CharField(
        max_length=200, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
