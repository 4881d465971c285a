"""Recording a partner's answer: validated by its kind, idempotent, conflicts refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from audit.choices import Outcome
from audit.services import event_record
from core.actors import Actor
from core.errors import Conflict, Gone, Invalid
from exchange import kinds, states
from exchange.access import access_query_by_id
from exchange.audit_actions import ExchangeAction
from exchange.choices import ANSWER_STATUSES, QueryStatus
from exchange.models import Finding, Query
from exchange.querysets import ANSWER
from exchange.traces.progress import query_closed
from privacy.choices import KeyPurpose
from privacy.keyring import keyring


class QueryClosed(Gone):
    code = "query_closed"


class AnswerConflict(Conflict):
    code = "answer_conflict"
    audited = True


class AnswerInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=sorted(ANSWER_STATUSES))
    result = serializers.JSONField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _canonical(status_value: str, result: dict[str, Any] | None) -> bytes:
    return json.dumps({"status": status_value, "result": result}, sort_keys=True, default=str).encode()


def _digests(status_value: str, result: dict[str, Any] | None) -> list[str]:
    """The answer's digest under each active index key, the current one first: keyed, since
    an answer names accounts and numbers, and an unkeyed hash of a number can be reversed by
    trying them all. Every active version matches, so a repeat survives a key rotation."""
    canonical = _canonical(status_value, result)
    return [
        hmac.new(key.secret, b"answer-digest\0" + canonical, hashlib.sha256).hexdigest()
        for key in keyring.active(KeyPurpose.INDEX)
    ]


def _same_answer(stored: str, digests: list[str], status_value: str, result: dict[str, Any] | None) -> bool:
    if any(hmac.compare_digest(stored, digest) for digest in digests):
        return True
    # An answer stored before digests were keyed (kept until retention erases it).
    return hmac.compare_digest(stored, hashlib.sha256(_canonical(status_value, result)).hexdigest())


def _validated(query: Query, payload: Any) -> tuple[str, dict[str, Any] | None, str]:
    """(status, result as the kind validated it, the partner's reason); `Invalid` otherwise."""
    answer = AnswerInput(data=payload)
    if not answer.is_valid():
        raise Invalid("The request is not valid.", fields=dict(answer.errors))
    status_value = answer.validated_data["status"]
    if status_value != QueryStatus.ANSWERED:
        return status_value, None, answer.validated_data["reason"]
    return status_value, kinds.spec_of(query).validate_answer(answer.validated_data.get("result")), ""


def answer_record(*, actor: Actor, query_id: UUID | str, payload: Any) -> tuple[Query, bool]:
    """Store the answer of the adapter of the query's partner; returns the query and whether
    this call changed it. Anybody else's answer, to a query they may not answer, is `NotFound`.

    The same answer again changes nothing; a different answer to an answered query is
    refused (409) and recorded; an expired or refused query takes no answer (410).
    """
    query = access_query_by_id(actor, query_id, ANSWER)
    status_value, result, reason = _validated(query, payload)
    digests = _digests(status_value, result)
    with transaction.atomic():
        query = (
            Query.objects.select_for_update(of=("self",)).select_related("case", "partner").get(pk=query.pk)
        )
        if query.status not in ANSWER_STATUSES:
            return _apply(actor, query, status_value, result, reason, digests[0]), True
        if _same_answer(query.answer_digest, digests, status_value, result):
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
    actor: Actor, query: Query, status_value: str, result: dict[str, Any] | None, reason: str, digest: str
) -> Query:
    """Store the answer, the identifiers it names, and what it sets off, in the caller's
    transaction, with the query locked."""
    spec = kinds.spec_of(query)
    late = _late_instruction(query, spec, status_value)
    if not late and not states.may_move(query.status, status_value):
        raise QueryClosed(f"This query is {query.status}; it takes no answer.")
    now = timezone.now()
    (states.move_late if late else states.move)(query, status_value, at=now)
    query.partner_reason = reason or None
    query.answer_digest = digest
    findings: list[Finding] = []
    if result is not None:
        document = spec.answer_document(result)
        query.set_answer_document(document)
        if spec.outcome_key is not None:
            query.outcome = str(document.get(spec.outcome_key) or "")
        findings = [
            Finding(query=query, case_id=query.case_id, partner_id=query.partner_id, kind=kind, value=value)
            for kind, value in spec.found_in(document)
        ]
    query.save()
    Finding.objects.bulk_create(findings)
    if result is not None:
        spec.on_answer(query, result)
    # After what the answer set off: a trace whose last open query this was is finished.
    query_closed(query)
    event_record(
        actor=actor,
        action=ExchangeAction.QUERY_ANSWERED,
        target=query,
        case_id=str(query.case_id),
        details={
            "kind": query.kind,
            "status": status_value,
            "milliseconds": int((now - query.created_at).total_seconds() * 1000),
            # A count: a bank's answer may name 500 accounts, more than an event holds; the
            # Finding rows name them, by blind index, linked to this query.
            **({"findings": len(findings)} if findings else {}),
            **({"late": True} if late else {}),
        },
    )
    return query


def _late_instruction(query: Query, spec: kinds.KindSpec, status_value: str) -> bool:
    """Whether this is the answer of a bank that acted on a delivered instruction (a stop, a
    freeze) after its deadline expired it: it is kept, so a hold the bank made is known
    (its 48 hours run from the bank's own time) and counted."""
    return (
        query.status == QueryStatus.EXPIRED
        and query.dispatched_at is not None
        and spec.signed_by_unit
        and status_value in ANSWER_STATUSES
    )
