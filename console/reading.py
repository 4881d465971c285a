"""What the console's pages read, composed from the apps' own selectors (never a query of its
own on another app's table without starting from their `restrict`): so a page can show no more
than the API would to the same person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.actors import Actor
from exchange import selectors
from exchange.choices import OPEN_QUERY_STATUSES, CaseStatus, QueryStatus
from exchange.kinds import spec_of
from exchange.models import Case, Finding, Hold, Query
from partners.choices import PartnerKind
from partners.models import Partner
from partners.selectors import partner_list
from privacy.choices import Kind
from privacy.masking import mask
from watchlist.choices import EntryStatus
from watchlist.models import WatchlistEntry, WatchlistListing
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


# The dashboard's stop-payments: those ending within this, soonest first, at most so many.
STOPS_WARNING = timedelta(hours=24)
STOPS_SHOWN = 50
# The dashboard's watchlist flags: from the newest queries of the unit's open cases.
FLAG_SCAN = 500
FLAGS_SHOWN = 20


def stops_expiring(actor: Actor) -> list[Hold]:
    """The unit's stop-payments in force that end within `STOPS_WARNING`, soonest first
    (`exchange.selectors.stops_expiring`): each must be followed by a freeze, or sent again
    while the case has a stop left, before the money moves again."""
    return list(selectors.stops_expiring(actor, within=STOPS_WARNING)[:STOPS_SHOWN])


@dataclass(frozen=True)
class WatchlistFlag:
    """A query of one of the unit's open cases whose subject (`in_answer` False) or a value
    its answer named (True) is listed on the watchlist by `other_cases` cases other than its
    own, of any unit: a count, never which (`watchlist.selectors.listing_counts`)."""

    query: Query
    in_answer: bool
    other_cases: int


def watchlist_flags(actor: Actor) -> list[WatchlistFlag]:
    """The flags of the newest `FLAG_SCAN` queries of the unit's open cases, newest first.

    The values are read by their blind indexes only (nothing is decrypted): the queries'
    subjects and their answers' findings, counted in one grouped query by the watchlist; a
    listing by the query's own case (the unit's own entry) is taken off the count, so what
    is left are other cases that met the same account or number."""
    queries = list(
        selectors.query_list(actor)
        .filter(case__status=CaseStatus.OPEN)
        .select_related("case")
        .order_by("-created_at")[:FLAG_SCAN]
    )
    values: list[tuple[Query, bytes, bool]] = [
        (query, bytes(query.subject_index), False) for query in queries if query.subject_index
    ]
    by_pk = {query.pk: query for query in queries}
    found = Finding.objects.filter(query_id__in=list(by_pk)).values_list("query_id", "value_index")
    values += [(by_pk[query_id], bytes(index), True) for query_id, index in found if index]
    counts = listing_counts(actor=actor, indexes=(index for _, index, _ in values))
    own = _own_listings(actor, set(counts))
    flags: dict[tuple[object, bool], WatchlistFlag] = {}
    for query, index, in_answer in values:
        others = counts.get(index, 0) - (1 if (index, query.case_id) in own else 0)
        known = flags.get((query.pk, in_answer))
        if others > 0 and (known is None or known.other_cases < others):
            flags[(query.pk, in_answer)] = WatchlistFlag(query, in_answer, others)
    shown = sorted(flags.values(), key=lambda flag: (flag.query.created_at, flag.in_answer), reverse=True)
    return shown[:FLAGS_SHOWN]


def _own_listings(actor: Actor, indexes: set[bytes]) -> set[tuple[bytes, object]]:
    """(value index, case id) of each of the unit's active entries among `indexes` and each
    case of the unit that listed it (the unit's own entries, through the watchlist's restriction)."""
    if not indexes:
        return set()
    entries = WatchlistEntry.objects.restrict(actor).filter(
        status=EntryStatus.ACTIVE, value_index__in=indexes
    )
    rows = WatchlistListing.objects.filter(entry__in=entries).values_list("entry__value_index", "case_id")
    return {(bytes(index), case_id) for index, case_id in rows}


def cases_shown(actor: Actor, *, number: str = "") -> QuerySet[Case]:
    """The cases the person may see (`exchange.selectors.case_list`), newest first; those
    whose number contains `number` when given. The number is the unit's own reference, not
    personal data, so it may be searched and put in a URL; the title may name people: it is
    encrypted, so neither searchable nor ever sent in a URL."""
    cases = selectors.case_list(actor).order_by("-opened_at", "pk")
    return cases.filter(number__icontains=number) if number else cases


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
