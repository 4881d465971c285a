"""`GET /api/v1/signing-keys/`: the gateway's public keys, for partners to verify what it signs:
its pushes (`use: "push"`) and the units' instructions (`use: "unit"`, with the unit's code)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exchange.instructions import published_unit_keys
from exchange.push_key import published_keys


class SigningKeyOutputSerializer(serializers.Serializer):
    key_id = serializers.CharField()
    algorithm = serializers.CharField()
    public_key = serializers.CharField(help_text="base64url of the raw 32-byte Ed25519 public key.")
    use = serializers.CharField(
        help_text="What the key signs: `push` for webhook calls, `unit` for a unit's instructions."
    )
    unit = serializers.CharField(
        required=False, help_text="The police unit whose instructions it signs (`use: unit` only)."
    )


class SigningKeyListApi(APIView):
    """Public on purpose: public keys are meant to be known, and an adapter fetches them
    before it has anything to authenticate with. No private key is ever listed; a unit's
    retired keys stay listed, so the instructions they signed still verify."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: SigningKeyOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        keys = [*published_keys(), *published_unit_keys()]
        return Response(SigningKeyOutputSerializer(keys, many=True).data)
