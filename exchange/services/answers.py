"""Recording a partner's answer: validated by its kind, idempotent, conflicts refused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from audit.choices import Outcome
from audit.services import event_record
from core.errors import Conflict, Gone, Invalid
from exchange.audit_actions import ExchangeAction
from exchange.choices import ANSWER_STATUSES, QueryStatus
from exchange.kinds import KINDS
from exchange.models import Query


class QueryClosed(Gone):
    code = "query_closed"


class AnswerConflict(Conflict):
    code = "answer_conflict"
    audited = True


class AnswerInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=sorted(ANSWER_STATUSES))
    result = serializers.JSONField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _digest(status_value: str, result: dict[str, Any] | None) -> str:
    canonical = json.dumps({"status": status_value, "result": result}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _validated(query: Query, payload: Any) -> tuple[str, dict[str, Any] | None, str]:
    answer = AnswerInput(data=payload)
    answer.is_valid(raise_exception=True)
    status_value = answer.validated_data["status"]
    if status_value != QueryStatus.ANSWERED:
        return status_value, None, answer.validated_data["reason"]
    result = KINDS[query.kind].answer_serializer(data=answer.validated_data.get("result"))
    if not result.is_valid():
        raise Invalid("The answer's result is not valid for this kind.", fields={"result": result.errors})
    return status_value, dict(result.validated_data), ""


def answer_record(*, actor: Any, query: Query, payload: Any) -> tuple[Query, bool]:
    """Store the answer; returns the query and whether this call changed it.

    The same answer again changes nothing; a different answer to an answered query is
    refused (409) and recorded; an expired or refused query takes no answer (410).
    """
    status_value, result, reason = _validated(query, payload)
    digest = _digest(status_value, result)
    with transaction.atomic():
        query = (
            Query.objects.select_for_update(of=("self",)).select_related("case", "partner").get(pk=query.pk)
        )
        if query.status not in ANSWER_STATUSES:
            return _apply(actor, query, status_value, result, reason, digest), True
        if query.answer_digest == digest:
            return query, False
        # Committed with this block, before the refusal is raised.
        event_record(
            actor=actor,
            action=ExchangeAction.ANSWER_CONFLICT,
            outcome=Outcome.DENIED,
            target=query,
            case_id=str(query.case_id),
            details={"kind": query.kind, "answered": query.status, "offered": status_value},
        )
    raise AnswerConflict("This query already has a different answer.")


def _apply(
    actor: Any, query: Query, status_value: str, result: dict[str, Any] | None, reason: str, digest: str
) -> Query:
    if query.status not in (QueryStatus.PENDING, QueryStatus.DISPATCHED):
        raise QueryClosed(f"This query is {query.status}; it takes no answer.")
    now = timezone.now()
    query.status = status_value
    query.partner_reason = reason or None
    query.answer_digest = digest
    query.answered_at = query.closed_at = now
    query.lease_until = None
    if result is not None:
        query.result_bank = result["bank"]
        query.result_account = result["account_number"].replace(" ", "")
        query.result_holder = result["holder_name"]
        query.result_amount = result.get("amount")
        query.result_paid_at = result.get("paid_at")
    query.save()
    index = query.result_account_index
    event_record(
        actor=actor,
        action=ExchangeAction.QUERY_ANSWERED,
        target=query,
        case_id=str(query.case_id),
        details={
            "kind": query.kind,
            "status": status_value,
            "milliseconds": int((now - query.created_at).total_seconds() * 1000),
            **({"account_index": index.hex()} if index else {}),
        },
    )
    return query
