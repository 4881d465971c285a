"""The registry's API: enrolment, sign-in tokens, one's own password, who am I, partners,
people, adapter keys and grants. Views read through `partners.selectors` and write through
`partners.services`, which resolve every object for the caller: what the caller may not
see is a 404, audited, the same as for a missing object."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from api.permissions import EVERY_PERSON, EVERY_ROLE, RoleAllowed
from api.schema import refusal
from api.views import request_actor
from core.errors import TooManyAttempts, Unauthenticated
from core.roles import Role
from partners import selectors
from partners.models import Person
from partners.services import credentials, people, registry, tokens

from .serializers import (
    AdapterKeyOutputSerializer,
    EnrolInputSerializer,
    EnrolmentWitnessOutputSerializer,
    GrantOutputSerializer,
    MeOutputSerializer,
    PartnerOutputSerializer,
    PasswordChangeInputSerializer,
    PersonOutputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
)


class SignInRefused(Unauthenticated):
    code = "invalid_credentials"
    audited = True  # the failed sign-in is already recorded by partners.signals


class SignInLocked(TooManyAttempts):
    code = "sign_in_locked"
    audited = True


class TokenApi(APIView):
    """`POST` exchanges a username and password for an expiring token (403 for a person of a
    suspended partner: `token_issue` decides); `DELETE` revokes the token that signs the
    request. Failed attempts are throttled per address and locked out per username and
    address by django-axes."""

    throttle_classes = [ScopedRateThrottle]
    allowed_roles = EVERY_PERSON
    authentication_classes = [TokenAuthentication]

    @property
    def throttle_scope(self) -> str:
        """Signing out has a budget of its own: failed sign-ins never keep anyone signed in."""
        return "sign_out" if self.request.method == "DELETE" else "sign_in"

    def get_permissions(self) -> list[Any]:
        return [RoleAllowed()] if self.request.method == "DELETE" else [AllowAny()]

    @extend_schema(request=TokenInputSerializer, responses={201: TokenOutputSerializer})
    def post(self, request: Request) -> Response:
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = authenticate(request._request, **data.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            raise SignInLocked("Too many failed sign-ins; try again later.")
        if not isinstance(person, Person):
            raise SignInRefused("The username or password is wrong, or the account is inactive.")
        token, expires_at = tokens.token_issue(actor=person, password_hash=person.password)
        return Response(TokenOutputSerializer({"token": token, "expires_at": expires_at}).data, status=201)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        tokens.token_revoke(actor=request_actor(request), digest=cast(AuthToken, request.auth).digest)
        return Response(status=204)


class EnrolApi(APIView):
    """`POST` sets the caller's first password with the enrolment code their administrator
    handed them (`person_enrol`). Anonymous: no credential is read, the code is the proof.
    Throttled per address on a budget of its own (`enrol`)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "enrol"

    @extend_schema(
        request=EnrolInputSerializer,
        responses={
            204: None,
            400: refusal(
                "The body is not valid, the password fails a rule (`fields.password`), or "
                "`enrolment_refused`: the username or code is wrong, or the code has expired or been used."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = EnrolInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credentials.person_enrol(**data.validated_data)
        return Response(status=204)


class PasswordApi(APIView):
    """`POST` changes the caller's own password; their other tokens are revoked, the one
    signing this request stays. People only, by token; throttled per person (`password_change`),
    and a wrong current password counts towards the person's axes lockout, as a sign-in does."""

    allowed_roles = EVERY_PERSON
    authentication_classes = [TokenAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password_change"

    @extend_schema(
        request=PasswordChangeInputSerializer,
        responses={
            204: None,
            400: refusal(
                "The body is not valid, `wrong_password` (the current password), or the new password "
                "fails a rule (`fields.new_password`)."
            ),
            429: refusal("`sign_in_locked`: too many wrong current passwords for this person; try later."),
        },
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credentials.person_password_change(
            actor=request_actor(request), request=request._request, keep=request.auth, **data.validated_data
        )
        return Response(status=204)


class MeApi(APIView):
    """Who the caller is: for people and adapters alike."""

    allowed_roles = EVERY_ROLE

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)


class PartnerListApi(generics.ListAPIView):
    serializer_class = PartnerOutputSerializer
    allowed_roles = EVERY_ROLE
    pagination_class = None  # a registry of at most a few thousand rows, ordered by code

    def get_queryset(self) -> Any:
        return selectors.partner_list(actor=request_actor(self.request))


class PartnerDetailApi(generics.RetrieveAPIView):
    serializer_class = PartnerOutputSerializer
    allowed_roles = EVERY_ROLE

    def get_object(self) -> Any:
        return selectors.partner_get(actor=request_actor(self.request), code=self.kwargs["code"])


class PartnerStatusApi(generics.GenericAPIView):
    """`POST .../suspend/` or `.../reactivate/`: stop or restart all of a partner's traffic.
    POST only: any other method is a 405, and the schema shows no other."""

    serializer_class = PartnerOutputSerializer
    allowed_roles = frozenset({Role.ADMINISTRATOR})
    new_status: str = ""

    @extend_schema(
        request=None,
        responses={200: PartnerOutputSerializer, 409: refusal("The exchange itself cannot be suspended.")},
    )
    def post(self, request: Request, code: str) -> Response:
        partner = registry.partner_set_status(actor=request_actor(request), code=code, status=self.new_status)
        return Response(PartnerOutputSerializer(partner).data)


class PersonListApi(generics.ListAPIView):
    serializer_class = PersonOutputSerializer
    allowed_roles = EVERY_PERSON

    def get_queryset(self) -> Any:
        return selectors.person_list(actor=request_actor(self.request))


class PersonDetailApi(generics.RetrieveAPIView):
    serializer_class = PersonOutputSerializer
    allowed_roles = EVERY_PERSON

    def get_object(self) -> Any:
        return selectors.person_get(actor=request_actor(self.request), username=self.kwargs["username"])


class EnrolmentWitnessApi(APIView):
    """`POST` releases, once, the second half of a person's pending enrolment code to its
    witness (`person_enrolment_witness`): a supervisor of the person's partner, or another
    administrator than the one who made the code. Never cached: the half is a credential."""

    allowed_roles = frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR})

    @extend_schema(
        request=None,
        responses={
            200: EnrolmentWitnessOutputSerializer,
            404: refusal("No such person, not yours to witness, or no code of theirs is in custody."),
            409: refusal("`already_released`: the second half was released already."),
        },
    )
    def post(self, request: Request, username: str) -> Response:
        half = people.person_enrolment_witness(actor=request_actor(request), username=username)
        response = Response(EnrolmentWitnessOutputSerializer({"code_half": half}).data)
        add_never_cache_headers(response)
        return response


class AdapterKeyListApi(generics.ListAPIView):
    serializer_class = AdapterKeyOutputSerializer
    allowed_roles = frozenset({Role.ADMINISTRATOR, Role.AUDITOR, Role.OPERATOR, Role.ADAPTER})
    pagination_ordering = "-created_at"

    def get_queryset(self) -> Any:
        return selectors.adapter_key_list(actor=request_actor(self.request))


class GrantListApi(generics.ListAPIView):
    """Grants as the caller may see them; `?active=true` keeps only unexpired ones."""

    serializer_class = GrantOutputSerializer
    allowed_roles = EVERY_ROLE

    def get_queryset(self) -> Any:
        active_only = self.request.query_params.get("active") == "true"
        return selectors.grant_list(actor=request_actor(self.request), active_only=active_only)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}


class GrantDetailApi(generics.RetrieveAPIView):
    serializer_class = GrantOutputSerializer
    allowed_roles = EVERY_ROLE

    def get_object(self) -> Any:
        return selectors.grant_get(actor=request_actor(self.request), grant_id=self.kwargs["pk"])

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}


class AdapterMeApi(APIView):
    """What an adapter needs to know about itself: its partner, delivery and request kinds."""

    allowed_roles = frozenset({Role.ADAPTER})

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)
