"""The watchlist: a unit's entries, listing and delisting (its supervisors), and the check.

`GET/POST /watchlist/`, `GET /watchlist/{id}/`, `POST /watchlist/{id}/delist/` for the unit's
police (auditors read); `POST /watchlist/check/` for police and the adapters of banks and
payment platforms, answered value by value, listed or not and the restriction, nothing more;
`POST /watchlist/blocks/` for police, a case's listed phone numbers sent to a telecom.
Thin: who may do what to which entry is decided by the services (`watchlist.services`,
`watchlist.selectors`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from api.permissions import POLICE
from api.schema import refusal
from api.views import request_actor
from core.roles import Role
from watchlist import selectors, services
from watchlist.models import WatchlistEntry

from .serializers import (
    BlocksInputSerializer,
    BlocksOutputSerializer,
    CheckInputSerializer,
    CheckOutputSerializer,
    DelistInputSerializer,
    EntryInputSerializer,
    EntryListQuerySerializer,
    EntryOutputSerializer,
)

ENTRY_READERS = POLICE | {Role.AUDITOR}
CHECKERS = POLICE | {Role.ADAPTER}


class EntryListApi(generics.ListAPIView):
    """`GET` the entries of the caller's unit (auditors: every unit's), newest first, masked;
    `POST` lists a value of one of the unit's cases (a supervisor), or extends its entry."""

    serializer_class = EntryOutputSerializer
    allowed_roles_by_method = {"GET": ENTRY_READERS, "POST": POLICE}
    pagination_ordering = "-listed_at"

    @extend_schema(parameters=[EntryListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[WatchlistEntry]:
        params = EntryListQuerySerializer(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        return selectors.entries_of_unit(
            actor=request_actor(self.request), status=params.validated_data.get("status")
        )

    @extend_schema(
        request=EntryInputSerializer,
        responses={
            201: EntryOutputSerializer,
            403: refusal("Only a supervisor of the case's unit lists a value."),
            404: refusal("No such case, or another unit's (the same answer)."),
        },
    )
    def post(self, request: Request) -> Response:
        data = EntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        listed = data.validated_data
        entry = services.entry_list(
            actor=request_actor(request),
            case_id=listed["case"],
            value=listed["value"],
            kind=listed["kind"],
            reason=listed["reason"],
            restriction=listed["restriction"],
        )
        shown = selectors.entry_get(actor=request_actor(request), entry_id=entry.pk)
        return Response(EntryOutputSerializer(shown).data, status=status.HTTP_201_CREATED)


class EntryDetailApi(APIView):
    """One entry of the caller's unit (auditors: any), masked."""

    allowed_roles = ENTRY_READERS

    @extend_schema(responses=EntryOutputSerializer)
    def get(self, request: Request, pk: UUID) -> Response:
        entry = selectors.entry_get(actor=request_actor(request), entry_id=pk)
        return Response(EntryOutputSerializer(entry).data)


class EntryDelistApi(APIView):
    """A supervisor of the entry's unit takes it off the list, with a reason code."""

    allowed_roles = POLICE

    @extend_schema(
        request=DelistInputSerializer,
        responses={
            200: EntryOutputSerializer,
            403: refusal("Only a supervisor takes a value off the list."),
            409: refusal("The entry is no longer on the list."),
        },
    )
    def post(self, request: Request, pk: UUID) -> Response:
        data = DelistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = request_actor(request)
        entry = services.entry_delist(actor=actor, entry_id=pk, reason=data.validated_data["reason"])
        return Response(EntryOutputSerializer(selectors.entry_get(actor=actor, entry_id=entry.pk)).data)


class PerPartnerThrottle(ScopedRateThrottle):
    """A budget per partner, shared by its people and its adapter instances (an adapter has
    no user id of its own): enough for a bank's opening batches, too little to walk through a
    range of numbers to learn which are listed."""

    def get_cache_key(self, request: Request, view: Any) -> str:
        partner = getattr(request.user, "partner", None)
        ident = f"partner:{partner.pk}" if partner is not None else self.get_ident(request)
        return str(self.cache_format % {"scope": self.scope, "ident": ident})


class WatchlistCheckApi(APIView):
    """Check up to 1,000 accounts or phone numbers: per value, listed or not and the strictest
    restriction asked, nothing more. A POST, so no value appears in a URL or a log line;
    throttled per partner (`watchlist_check`)."""

    allowed_roles = CHECKERS
    throttle_classes = [PerPartnerThrottle]
    throttle_scope = "watchlist_check"

    @extend_schema(
        request=CheckInputSerializer,
        responses={
            200: CheckOutputSerializer,
            403: refusal("Only police and the adapters of banks and payment platforms check."),
        },
    )
    def post(self, request: Request) -> Response:
        data = CheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = [
            services.CheckValue(kind=v["kind"], value=v["value"]) for v in data.validated_data["values"]
        ]
        results = services.watchlist_check(actor=request_actor(request), values=values)
        return Response(CheckOutputSerializer({"results": results}).data)


class WatchlistBlocksApi(APIView):
    """Send every active phone entry a case of the caller's unit listed to a telecom as a
    `number_block` query of the case, in one step; answered 202 with the queries made,
    numbers masked. Refused as a query is: no grant 403, a closed case 409, another unit's
    case 404."""

    allowed_roles = POLICE

    @extend_schema(
        request=BlocksInputSerializer,
        responses={
            202: BlocksOutputSerializer,
            403: refusal("Your unit holds no active grant for number_block to this telecom."),
            404: refusal("No such case, or a case of another unit (the same answer)."),
            409: refusal("The case is closed: it takes no new queries."),
        },
    )
    def post(self, request: Request) -> Response:
        data = BlocksInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        sent = services.entries_block(
            actor=request_actor(request),
            case_id=given["case"],
            telecom=given["telecom"],
            reason=given["reason"],
            period_days=given["days"],
        )
        return Response(BlocksOutputSerializer(sent).data, status=status.HTTP_202_ACCEPTED)
