"""Submitting queries: validate, check the grant, store encrypted, and leave through the outbox.

A refusal by the gateway itself (no active grant, a closed case, a suspended partner) is
kept as a query in status `refused`, so the officer's list and the audit log both show it;
the API answers it with 403 or 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from audit.choices import Outcome
from audit.services import event_record
from core.actors import Actor
from core.errors import DomainError, Invalid
from exchange import states
from exchange.access import access_case_by_id, acting_person
from exchange.audit_actions import ExchangeAction
from exchange.choices import QueryStatus
from exchange.delivery.outbox import outbox_enqueue
from exchange.kinds import KindSpec, spec_for
from exchange.models import Case, Query, Trace
from exchange.querysets import CHANGE
from exchange.sending import SendingChecks
from partners.choices import Delivery
from partners.models import Partner

MAX_BATCH = 1000
MIN_DEADLINE_SECONDS = 5
MAX_DEADLINE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Submission:
    """What an officer asks: the case (by its id: the service reaches it), the kind, the
    partner's code and the kind's input."""

    case_id: UUID | str
    kind: str
    partner: str
    input: Any
    deadline_seconds: int | None = None

    def __post_init__(self) -> None:
        seconds = self.deadline_seconds
        if seconds is not None and not MIN_DEADLINE_SECONDS <= seconds <= MAX_DEADLINE_SECONDS:
            raise Invalid(
                "The deadline is out of range.",
                fields={"deadline_seconds": [f"From {MIN_DEADLINE_SECONDS} to {MAX_DEADLINE_SECONDS}."]},
            )


@dataclass(frozen=True)
class Placement:
    """Where a query stands in a trace: the trace, its tier, and the query that led to it."""

    trace: Trace
    tier: int
    parent: Query | None = None


def _store(
    actor: Actor, case: Case, submission: Submission, partner: Partner, spec: KindSpec, values: dict[str, Any]
) -> Query:
    """The query, not yet saved: waiting for approval if its kind needs it, else pending."""
    subject, params, personal = spec.split_input(values)
    now = timezone.now()
    query = Query(
        case=case,
        kind=spec.name,
        partner=partner,
        requested_by=acting_person(actor),
        subject_kind=spec.subject.kind,
        subject=subject,
        params=params,
        status=QueryStatus.AWAITING_APPROVAL if spec.needs_approval_for(case.unit) else QueryStatus.PENDING,
        created_at=now,
        deadline=now
        + (
            timedelta(seconds=submission.deadline_seconds)
            if submission.deadline_seconds
            else spec.default_deadline
        ),
    )
    query.set_personal_input_document(personal)
    return query


class CaseSubmitter:
    """Stores queries into one case (reached by the caller), each as pending (or awaiting
    approval) or as refused, with its audit event and outbox row.

    What the queries of one call share is read once: each partner with its kind, the case's
    lock and each grant (`SendingChecks`), so a trace's answer that sends fifty queries does
    not read them fifty times.
    """

    def __init__(self, actor: Actor, case: Case) -> None:
        self.actor = actor
        self.case = case
        self.checks = SendingChecks(unit=actor.partner, case=case)
        self._partners: dict[str, Partner | None] = {}

    def submit(
        self, submission: Submission, placement: Placement | None = None
    ) -> tuple[Query, DomainError | None]:
        """One query; invalid input raises (nothing is stored), a refusal is returned, not
        raised, so that the refused query commits with the rest of the caller's transaction."""
        partner, spec = self._partner_and_spec(submission)
        values = spec.validate_input(partner, submission.input)
        query = _store(self.actor, self.case, submission, partner, spec, values)
        if placement is not None:
            query.trace, query.tier, query.parent = placement.trace, placement.tier, placement.parent
        refusal = self.checks.refusal(partner=partner, spec=spec, query=query)
        if refusal is not None:
            states.move(query, QueryStatus.REFUSED, at=query.created_at)
            query.reason = refusal.code
            refusal.audited = True
        query.save()
        index = query.subject_index
        details = {"kind": spec.name, "partner": partner.code, "subject_index": index.hex() if index else ""}
        event_record(
            actor=self.actor,
            action=ExchangeAction.QUERY_REFUSED if refusal else spec.submitted_action,
            outcome=Outcome.DENIED if refusal else Outcome.ALLOWED,
            target=query,
            case_id=str(self.case.pk),
            details={**details, "reason": refusal.code} if refusal else details,
        )
        if query.status == QueryStatus.PENDING and partner.delivery == Delivery.PUSH:
            outbox_enqueue(query)
        return query, refusal

    def _partner_and_spec(self, submission: Submission) -> tuple[Partner, KindSpec]:
        """The kind and the partner, looked up among the partners the actor's unit can see.

        A partner the unit cannot see gets the same answer as a code that names nobody, from
        the same single query: the refusals that name a partner (`no_grant`, suspended) are
        only for partners the unit already knows.
        """
        spec = spec_for(submission.kind)
        if spec is None:
            raise Invalid("Unknown request kind.", fields={"kind": ["Not a request kind AFX carries."]})
        if submission.partner not in self._partners:
            found = Partner.objects.restrict(self.actor).filter(code=submission.partner).first()
            self._partners[submission.partner] = found
        partner = self._partners[submission.partner]
        if partner is None or submission.kind not in partner.answers:
            raise Invalid(
                "No partner with this code answers this kind.", fields={"partner": ["Not available."]}
            )
        return partner, spec


def case_submitter(*, actor: Actor, case_id: UUID | str) -> CaseSubmitter:
    """Queries sent on an officer's behalf by another service (a trace's next tier), inside
    that service's transaction, each placed in a trace: the case is reached here, once
    (`NotFound` if the officer may not act in it)."""
    return CaseSubmitter(actor, access_case_by_id(actor, case_id, CHANGE))


def query_submit(*, actor: Actor, submission: Submission) -> Query:
    """Submit one query into a case of the actor's unit (another unit's case is `NotFound`).
    A refusal is committed (as a refused query) and then raised."""
    case = access_case_by_id(actor, submission.case_id, CHANGE)
    with transaction.atomic():
        query, refusal = CaseSubmitter(actor, case).submit(submission)
    if refusal is not None:
        raise refusal
    return query


@dataclass(frozen=True)
class BatchItemResult:
    index: int
    query: Query | None = None
    error: DomainError | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


def query_submit_batch(
    *, actor: Actor, submissions: Sequence[Submission | DomainError]
) -> list[BatchItemResult]:
    """Up to 1,000 queries, each in its own savepoint: a bad item refuses only itself, an
    unknown or out-of-scope case too (`NotFound`, its denial kept outside the savepoint).

    Items the caller could not even read (an invalid body) arrive as errors and are reported
    at their index, so the answer lines up with the request item by item.
    """
    if len(submissions) > MAX_BATCH:
        raise Invalid(f"At most {MAX_BATCH} queries at once.", fields={"queries": [f"At most {MAX_BATCH}."]})
    # Cases are reached before the batch's transaction, so a denial is committed whatever
    # becomes of the batch.
    reached = [item if isinstance(item, DomainError) else _reach_case(actor, item) for item in submissions]
    results = []
    with transaction.atomic():
        for index, (submission, case) in enumerate(zip(submissions, reached, strict=True)):
            if isinstance(case, DomainError):
                results.append(BatchItemResult(index=index, error=case))
                continue
            assert isinstance(submission, Submission)
            try:
                # A submitter per item: a lock read inside a savepoint rolled back is let go.
                with transaction.atomic():
                    query, refusal = CaseSubmitter(actor, case).submit(submission)
                results.append(BatchItemResult(index=index, query=query, error=refusal))
            except DomainError as error:
                results.append(BatchItemResult(index=index, error=error))
    return results


def _reach_case(actor: Actor, submission: Submission) -> Case | DomainError:
    try:
        return access_case_by_id(actor, submission.case_id, CHANGE)
    except DomainError as error:
        return error
