"""What the console's pages read, composed from the apps' own selectors (never a query of its
own on another app's table without starting from their `restrict`): so a page can show no more
than the API would to the same person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.actors import Actor
from exchange import selectors
from exchange.choices import OPEN_QUERY_STATUSES, CaseStatus, QueryStatus
from exchange.kinds import spec_of
from exchange.models import Case, Query
from partners.choices import PartnerKind
from partners.models import Partner
from partners.selectors import partner_list
from privacy.choices import Kind
from privacy.masking import mask
from watchlist.selectors import listing_counts

# Polled by the case page until the query leaves these statuses.
WAITING_STATUSES = frozenset({QueryStatus.AWAITING_APPROVAL, *OPEN_QUERY_STATUSES})


@dataclass(frozen=True)
class Dashboard:
    """Counts only: what waits for the unit, nothing that names a case or a person."""

    open_cases: int
    queries_waiting: int
    approvals_waiting: int


def dashboard_counts(actor: Actor) -> Dashboard:
    queries = selectors.query_list(actor)
    return Dashboard(
        open_cases=selectors.case_list(actor).filter(status=CaseStatus.OPEN).count(),
        queries_waiting=queries.filter(status__in=OPEN_QUERY_STATUSES).count(),
        approvals_waiting=queries.filter(status=QueryStatus.AWAITING_APPROVAL).count(),
    )


def cases_shown(actor: Actor) -> QuerySet[Case]:
    """The cases the person may see, newest first (the first page of them)."""
    return selectors.case_list(actor).order_by("-opened_at")


def masked_title(case: Case) -> str:
    """A case's title as the API shows it: free text may name people, so it is masked."""
    return mask(Kind.FREE_TEXT, case.title)


def lookup_partners(actor: Actor) -> QuerySet[Partner]:
    """The payment platforms the person's unit may see (those granted to it), for the form."""
    return partner_list(actor=actor).filter(kind=PartnerKind.PAYMENT_PLATFORM).order_by("code")


@dataclass(frozen=True)
class QueryShown:
    """One query as a page shows it: the kind's input and answer, personal values masked."""

    query: Query
    input: dict[str, Any]
    result: dict[str, Any] | None
    watchlist_cases: int | None
    police: bool = False

    @property
    def waiting(self) -> bool:
        return self.query.status in WAITING_STATUSES

    @property
    def revealable(self) -> bool:
        """Police may ask for the plaintext of a query that is no longer on its way."""
        return self.police and not self.waiting


def queries_shown(actor: Actor, queries: list[Query], *, police: bool) -> list[QueryShown]:
    """Each query masked by its kind; for police, the watchlist's count of cases listing its
    subject (one grouped query for all of them), as the API's `watchlist_cases`."""
    counts = listing_counts(actor=actor, indexes=(q.subject_index for q in queries)) if police else {}
    return [
        QueryShown(
            query=query,
            input=spec_of(query).masked_input(query),
            result=spec_of(query).masked_answer(query),
            watchlist_cases=(counts.get(bytes(query.subject_index), 0) if query.subject_index else 0)
            if police
            else None,
            police=police,
        )
        for query in queries
    ]


def case_queries(actor: Actor, case: Case) -> list[Query]:
    return list(selectors.query_list(actor, case_id=case.pk).order_by("-created_at"))


@dataclass(frozen=True)
class Moment:
    """One act of a case's timeline."""

    at: datetime
    what: str
    query: Query | None = None


def case_timeline(case: Case, queries: list[Query]) -> list[Moment]:
    """The case's acts from its own rows, newest first: opened, each query's submission,
    dispatch, answer or closing, and the case's closing.

    The audit log holds every act too, but only auditors and administrators may read it
    (`AuditEvent.objects.restrict`), so police see what the case's rows say."""
    moments = [Moment(case.opened_at, str(_("Case opened")))]
    for query in queries:
        moments.append(Moment(query.created_at, str(_("Query submitted")), query))
        if query.dispatched_at:
            moments.append(Moment(query.dispatched_at, str(_("Query delivered to the partner")), query))
        if query.answered_at:
            moments.append(Moment(query.answered_at, str(_("Answer received")), query))
        elif query.closed_at:
            moments.append(Moment(query.closed_at, str(_("Query closed")), query))
    if case.closed_at:
        moments.append(Moment(case.closed_at, str(_("Case closed"))))
    return sorted(moments, key=lambda moment: moment.at, reverse=True)
