"""The exchange's API: cases, queries, reveal and account search for police; the inbox and
answers for adapters. Thin: validate, call one service or selector, render.

Who reaches which case or query is decided by the services and selectors (`exchange.access`),
so these views hand them ids and never look an object up themselves. `allowed_roles` turns
away, with 403, the roles that may never call an operation, before any object is named."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import domain_error_body
from api.permissions import POLICE
from api.schema import refusal
from api.views import request_actor
from core.actors import Actor, acting_role
from core.errors import DomainError
from core.roles import POLICE_ROLES, Role
from exchange import selectors
from exchange.delivery.inbox import inbox_lease
from exchange.models import Case, Query
from exchange.services import answers, cases, disclosure, queries
from exchange.wire import query_to_wire
from watchlist.selectors import listing_counts

from .serializers import (
    AccountSearchInputSerializer,
    AccountSearchOutputSerializer,
    AnswerOutputSerializer,
    BatchInputSerializer,
    BatchOutputSerializer,
    CaseInputSerializer,
    CaseOutputSerializer,
    InboxInputSerializer,
    InboxOutputSerializer,
    QueryFilterSerializer,
    QueryInputSerializer,
    QueryOutputSerializer,
    RevealInputSerializer,
    RevealOutputSerializer,
)

CASE_READERS = POLICE | {Role.AUDITOR}
QUERY_READERS = POLICE | {Role.AUDITOR, Role.OPERATOR}
ADAPTERS = frozenset({Role.ADAPTER})
INBOX_POLL_INTERVAL = 0.05


class CaseListApi(generics.ListAPIView):
    """`GET` the cases the caller may see; `POST` opens one for the caller's unit."""

    serializer_class = CaseOutputSerializer
    allowed_roles_by_method = {"GET": CASE_READERS, "POST": POLICE}
    pagination_ordering = "-opened_at"

    def get_queryset(self) -> QuerySet[Case]:
        return selectors.case_list(request_actor(self.request))

    @extend_schema(
        request=CaseInputSerializer,
        responses={201: CaseOutputSerializer, 409: refusal("Your unit already has a case with this number.")},
    )
    def post(self, request: Request) -> Response:
        data = CaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = cases.case_open(actor=request_actor(request), **data.validated_data)
        return Response(CaseOutputSerializer(case).data, status=status.HTTP_201_CREATED)


class CaseDetailApi(APIView):
    """One case the caller may see; each reading is recorded against the case."""

    allowed_roles = CASE_READERS

    @extend_schema(responses=CaseOutputSerializer)
    def get(self, request: Request, pk: UUID) -> Response:
        return Response(CaseOutputSerializer(selectors.case_get(request_actor(request), pk)).data)


class CaseCloseApi(APIView):
    """Close a case of the caller's unit: it takes no new queries; closing it again changes nothing."""

    allowed_roles = POLICE

    @extend_schema(request=None, responses=CaseOutputSerializer)
    def post(self, request: Request, pk: UUID) -> Response:
        case = cases.case_close(actor=request_actor(request), case_id=pk)
        return Response(CaseOutputSerializer(case).data)


def _watchlist_context(actor: Actor, shown: list[Query]) -> dict[str, Any]:
    """The serializer context that flags police to listed subjects (`watchlist_cases`), in one
    query for all the queries shown; nothing for anybody else."""
    if acting_role(actor) not in POLICE_ROLES:
        return {}
    return {"watchlist_cases": listing_counts(actor=actor, indexes=(q.subject_index for q in shown))}


class QueryListApi(generics.ListAPIView):
    """`GET` queries (`?case=`, `?status=`); `POST` submits one, answered 202 with its deadline."""

    serializer_class = QueryOutputSerializer
    allowed_roles_by_method = {"GET": QUERY_READERS, "POST": POLICE}
    pagination_ordering = "-created_at"

    @extend_schema(parameters=[QueryFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # every list is paginated
        context = {**self.get_serializer_context(), **_watchlist_context(request_actor(request), page)}
        return self.get_paginated_response(QueryOutputSerializer(page, many=True, context=context).data)

    def get_queryset(self) -> QuerySet[Query]:
        # A plain dict: DRF reads an empty value in a QueryDict as "not given" (HTML forms).
        filters = QueryFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return selectors.query_list(
            request_actor(self.request),
            case_id=filters.validated_data.get("case"),
            status=filters.validated_data.get("status"),
        )

    @extend_schema(
        request=QueryInputSerializer,
        responses={
            202: QueryOutputSerializer,
            404: refusal("No such case, or a case of another unit (the same answer)."),
            409: refusal("The case is closed: it takes no new queries."),
        },
    )
    def post(self, request: Request) -> Response:
        data = QueryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = _submission(data.validated_data)
        actor = request_actor(request)
        query = queries.query_submit(actor=actor, submission=submission)
        shown = QueryOutputSerializer(query, context=_watchlist_context(actor, [query]))
        return Response(shown.data, status=status.HTTP_202_ACCEPTED)


def _submission(validated: dict[str, Any]) -> queries.Submission:
    return queries.Submission(
        case_id=validated["case"],
        kind=validated["kind"],
        partner=validated["partner"],
        input=validated["input"],
        deadline_seconds=validated.get("deadline_seconds"),
    )


class QueryBatchApi(APIView):
    """Up to 1,000 queries at once; the answer says, item by item, accepted or why not."""

    allowed_roles = POLICE

    @extend_schema(request=BatchInputSerializer, responses={200: BatchOutputSerializer})
    def post(self, request: Request) -> Response:
        data = BatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [_batch_submission(raw) for raw in data.validated_data["queries"]]
        actor = request_actor(request)
        results = queries.query_submit_batch(actor=actor, submissions=items)
        context = _watchlist_context(actor, [r.query for r in results if r.query is not None and r.accepted])
        body = [_batch_item(result, context) for result in results]
        accepted = sum(1 for r in results if r.accepted)
        return Response(
            {"accepted": accepted, "refused": len(results) - accepted, "results": body},
            status=status.HTTP_200_OK,
        )


def _batch_submission(raw: dict[str, Any]) -> queries.Submission | DomainError:
    item = QueryInputSerializer(data=raw)
    if not item.is_valid():
        return queries.Invalid("Invalid query.", fields=item.errors)
    return _submission(item.validated_data)


def _batch_item(result: queries.BatchItemResult, context: dict[str, Any]) -> dict[str, Any]:
    if result.error is None:
        shown = QueryOutputSerializer(result.query, context=context).data
        return {"index": result.index, "accepted": True, "query": shown}
    error = domain_error_body(result.error)["error"]
    refused_as = str(result.query.pk) if result.query else None
    return {"index": result.index, "accepted": False, "query_id": refused_as, "error": error}


class QueryDetailApi(APIView):
    """One query the caller may see, its personal values masked."""

    allowed_roles = QUERY_READERS

    @extend_schema(responses=QueryOutputSerializer)
    def get(self, request: Request, pk: UUID) -> Response:
        actor = request_actor(request)
        query = selectors.query_get(actor, pk)
        return Response(QueryOutputSerializer(query, context=_watchlist_context(actor, [query])).data)


class QueryRevealApi(APIView):
    """The plaintext, for police of the unit, naming the purpose; audited field by field."""

    allowed_roles = POLICE

    @extend_schema(request=RevealInputSerializer, responses=RevealOutputSerializer)
    def post(self, request: Request, pk: UUID) -> Response:
        data = RevealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revealed = disclosure.query_reveal(
            actor=request_actor(request), query_id=pk, purpose=data.validated_data["purpose"]
        )
        return Response({"id": str(pk), "revealed": revealed})


class AccountSearchApi(APIView):
    """Which of my unit's cases involve this account, and how many other units' cases do.

    A POST, so the account number never appears in a URL, a log line or a proxy's history.
    """

    allowed_roles = POLICE

    @extend_schema(request=AccountSearchInputSerializer, responses=AccountSearchOutputSerializer)
    def post(self, request: Request) -> Response:
        data = AccountSearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = disclosure.account_search(
            actor=request_actor(request), account_number=data.validated_data["account_number"]
        )
        return Response(AccountSearchOutputSerializer(found).data)


class InboxApi(APIView):
    """Pull adapters: `GET ?wait=<s>&limit=<n>` long-polls for queries and leases them for 10 s,
    which the adapter renews while it works (`POST /adapter/leases/`)."""

    allowed_roles = ADAPTERS

    @extend_schema(parameters=[InboxInputSerializer], responses=InboxOutputSerializer)
    def get(self, request: Request) -> Response:
        params = InboxInputSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        wait, limit = params.validated_data["wait"], params.validated_data["limit"]
        deadline = time.monotonic() + wait
        while True:
            leased = inbox_lease(adapter=request_actor(request), limit=limit)
            if leased or time.monotonic() >= deadline:
                return Response({"results": [query_to_wire(q) for q in leased]})
            time.sleep(INBOX_POLL_INTERVAL)


class AnswerApi(APIView):
    """An adapter answers a query addressed to its partner: same answer twice is a no-op."""

    allowed_roles = ADAPTERS

    @extend_schema(
        request=answers.AnswerInput,
        responses={
            200: AnswerOutputSerializer,
            409: refusal("This query already has a different answer."),
            410: refusal("The query is closed (expired, failed or refused): it takes no answer."),
        },
    )
    def post(self, request: Request, pk: UUID) -> Response:
        query, _ = answers.answer_record(actor=request_actor(request), query_id=pk, payload=request.data)
        return Response(AnswerOutputSerializer({"id": query.pk, "status": query.status}).data)
