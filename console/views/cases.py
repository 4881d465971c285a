"""The police's pages: the dashboard, the unit's cases, a case with its queries and timeline,
an order lookup submitted from the case page, and one query's row, which the page polls
(htmx, every second) until the answer arrives or the query closes.

Each calls the exchange's selectors and services with the signed-in person, exactly as the
API's views do (`exchange.selectors`, `exchange.services.queries.query_submit`): another
unit's case or query is the access layer's `NotFound`, a 404 page here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.actors import acting_role
from core.errors import Conflict, DomainError
from exchange import selectors
from exchange.access import access_case_by_id
from exchange.choices import QueryStatus
from exchange.kinds.order_lookup import SPEC as ORDER_LOOKUP
from exchange.querysets import CHANGE
from exchange.services import cases as case_services
from exchange.services import disclosure, queries
from exchange.services.queries import MAX_BATCH

from .. import reading
from ..access import CASE_READERS, POLICE, ConsoleView
from ..forms import BatchForm, CaseOpenForm, LookupForm, RevealForm
from .traces import TraceStartForm

CASES_SHOWN = 50

# The services' refusals by code, in the page's language (their own messages are English).
REFUSALS = {
    "no_grant": _("Your unit holds no active grant to ask this platform."),
    "case_closed": _("The case is closed: it takes no new queries."),
    "partner_suspended": _("This partner is suspended."),
}


class DashboardView(ConsoleView):
    """What waits for the unit: counts, its stop-payments about to end (soonest first, each
    linking to its case) and the queries whose accounts or numbers other cases list."""

    allowed_roles = POLICE

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {
            "counts": reading.dashboard_counts(self.person),
            "stops": reading.stops_expiring(self.person),
            "stops_hours": int(reading.STOPS_WARNING.total_seconds() // 3600),
            "flags": reading.watchlist_flags(self.person),
        }
        return render(request, "console/dashboard.html", context)


class CaseSearchForm(forms.Form):
    """The cases list's search, by GET: the case number only, the unit's own reference and
    no personal data (the title may name people; it is encrypted and never searched)."""

    number = forms.CharField(label=_("Case number"), max_length=64, required=False, strip=True)


class CaseListView(ConsoleView):
    """`GET` the cases the person may see, `CASES_SHOWN` a page (`?page=`), searched by case
    number (`?number=`); `POST` (police) opens one (`case_open`) and goes to it."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, CaseOpenForm() if acting_role(self.person) in POLICE else None)

    def _page(self, request: HttpRequest, form: CaseOpenForm | None, status: int = 200) -> HttpResponse:
        search = CaseSearchForm(request.GET)
        number = search.cleaned_data["number"] if search.is_valid() else ""
        pages = Paginator(reading.cases_shown(self.person, number=number), CASES_SHOWN)
        page = pages.get_page(request.GET.get("page"))
        cases = [(case, reading.masked_title(case)) for case in page.object_list]
        context = {
            "cases": cases,
            "form": form,
            "search": search,
            "number": number,
            "page": page,
        }
        return render(request, "console/case_list.html", context, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CaseOpenForm(request.POST)
        if form.is_valid():
            try:
                case = case_services.case_open(actor=self.person, **form.cleaned_data)
            except Conflict:
                form.add_error("number", _("Your unit already has a case with this number."))
            else:
                return HttpResponseRedirect(reverse("console:case", args=[case.pk]))
        return self._page(request, form, status=400)


def _platforms(person: Any) -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in reading.lookup_partners(person)]


def _lookup_form(person: Any, data: Any = None) -> LookupForm:
    return LookupForm(data, partners=_platforms(person))


def _batch_form(person: Any, data: Any = None, files: Any = None) -> BatchForm:
    return BatchForm(data, files, partners=_platforms(person))


class CaseDetailView(ConsoleView):
    """A case the person may see (its reading recorded by `case_get`), its queries masked."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        return self.render_case(request, pk, None)

    def render_case(
        self,
        request: HttpRequest,
        pk: UUID,
        form: LookupForm | None,
        status: int = 200,
        *,
        batch_form: BatchForm | None = None,
        batch: list[BatchRow] | None = None,
        trace_form: TraceStartForm | None = None,
    ) -> HttpResponse:
        case = selectors.case_get(self.person, pk)
        police = acting_role(self.person) in POLICE
        rows = reading.case_queries(self.person, case)
        # A trace starts from an answered order lookup of the case (`trace_start`'s rule).
        answered = [q for q in rows if q.kind == ORDER_LOOKUP.name and q.status == QueryStatus.ANSWERED]
        can_trace = police and case.is_open and bool(answered)
        context = {
            "case": case,
            "title": reading.masked_title(case),
            "queries": reading.queries_shown(self.person, rows, police=police),
            "timeline": reading.case_timeline(case, rows),
            "form": (form or _lookup_form(self.person)) if police and case.is_open else None,
            "batch_form": (batch_form or _batch_form(self.person)) if police and case.is_open else None,
            "batch": batch,
            "batch_limit": f"{MAX_BATCH:,}",
            "can_close": police and case.is_open,
            "traces": selectors.trace_list(self.person, case.pk),
            "trace_lookups": reading.queries_shown(self.person, answered, police=police) if can_trace else [],
            "trace_form": (trace_form or TraceStartForm()) if can_trace else None,
        }
        return render(request, "console/case_detail.html", context, status=status)


class LookupSubmitView(ConsoleView):
    """`POST` an order lookup into the case (`query_submit`, as `POST /api/v1/queries/`).

    From htmx (`HX-Request`), the answer is the new query's row, which polls itself; from a
    plain form, a redirect back to the case. A refusal the service kept (no grant, a closed
    case) is shown on the form; the refused query is listed with the case's others."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        form = _lookup_form(self.person, request.POST)
        fragment = request.headers.get("HX-Request") == "true"
        if not form.is_valid():
            return self._refused(request, pk, form, fragment)
        data = form.cleaned_data
        lookup: dict[str, Any] = {"order_number": data["order_number"]}
        if data["amount"] is not None:
            lookup["amount"] = str(data["amount"])
        submission = queries.Submission(
            case_id=pk, kind=ORDER_LOOKUP.name, partner=data["partner"], input=lookup
        )
        try:
            query = queries.query_submit(actor=self.person, submission=submission)
        except DomainError as refused:
            if refused.code == "not_found":
                raise
            form.add_error(None, REFUSALS.get(refused.code, _("The exchange refused this lookup.")))
            return self._refused(request, pk, form, fragment)
        if not fragment:
            return HttpResponseRedirect(reverse("console:case", args=[pk]))
        (shown,) = reading.queries_shown(self.person, [query], police=True)
        return render(request, "console/_query_row.html", {"q": shown})

    def _refused(self, request: HttpRequest, pk: UUID, form: LookupForm, fragment: bool) -> HttpResponse:
        if fragment:
            response = render(request, "console/_lookup_errors.html", {"form": form}, status=200)
            response["HX-Retarget"] = "#lookup-errors"
            response["HX-Reswap"] = "innerHTML"
            return response
        return CaseDetailView(request=request).render_case(request, pk, form, status=400)


class QueryRowView(ConsoleView):
    """One query's row (masked), for the case page's poll: while it waits, the row asks again."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        query = selectors.query_get(self.person, pk)
        (shown,) = reading.queries_shown(self.person, [query], police=acting_role(self.person) in POLICE)
        return render(request, "console/_query_row.html", {"q": shown})


class CaseCloseView(ConsoleView):
    """`POST` closes the case (`case_close`, as `POST /api/v1/cases/{id}/close/`)."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        case_services.case_close(actor=self.person, case_id=pk)
        return HttpResponseRedirect(reverse("console:case", args=[pk]))


# The names `query_reveal` gives the plaintext values, in the page's language.
REVEALED_LABELS = {
    "order_number": _("Order number"),
    "result_account": _("Account"),
    "result_holder": _("Account holder"),
    "partner_reason": _("The partner's reason"),
}


class QueryRevealView(ConsoleView):
    """`POST` a purpose: the query's plaintext, shown once in the answer and kept nowhere
    (`query_reveal`, one audit event per value with the purpose; no-store like every page)."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        form = RevealForm(request.POST)
        if not form.is_valid():
            return render(request, "console/_revealed.html", {"form": form}, status=400)
        revealed = disclosure.query_reveal(
            actor=self.person, query_id=pk, purpose=form.cleaned_data["purpose"]
        )
        shown = [(REVEALED_LABELS.get(name, name), value) for name, value in revealed.items()]
        return render(request, "console/_revealed.html", {"revealed": shown})


# A batch row's refusal by code, in the page's language; never the service's message, which
# may quote what was typed.
BATCH_REFUSALS = {
    **REFUSALS,
    "invalid": _("Not an order number: 6 to 40 letters, digits or dashes."),
    "not_found": _("The case is not open to you."),
}


@dataclass(frozen=True)
class BatchRow:
    """One line of the uploaded file: its number, and the query accepted or why it was not."""

    line: int
    shown: reading.QueryShown | None
    code: str = ""
    refused_as: UUID | None = None

    @property
    def error(self) -> str:
        return str(BATCH_REFUSALS.get(self.code, _("The exchange refused this row.")))


class BatchSubmitView(ConsoleView):
    """`POST` a CSV of order numbers into the case: one order lookup a row, through
    `query_submit_batch` as `POST /api/v1/queries/batch/` (each row in its own savepoint, a bad
    row refusing only itself). The answer is a table row by row: accepted (the query's id,
    its masked order number, its row polling until the answer like a single lookup) or the
    row's error, never the value sent back. From htmx, that table alone; else the case page."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        access_case_by_id(self.person, pk, CHANGE)  # another unit's case: 404 before reading the file
        form = _batch_form(self.person, request.POST, request.FILES)
        fragment = request.headers.get("HX-Request") == "true"
        if not form.is_valid():
            if fragment:
                return render(request, "console/_batch_results.html", {"batch_form": form}, status=200)
            return CaseDetailView(request=request).render_case(request, pk, None, 400, batch_form=form)
        submissions = [
            queries.Submission(
                case_id=pk,
                kind=ORDER_LOOKUP.name,
                partner=form.cleaned_data["partner"],
                input={"order_number": number},
            )
            for number in form.cleaned_data["file"]
        ]
        results = queries.query_submit_batch(actor=self.person, submissions=submissions)
        accepted = [r.query for r in results if r.accepted and r.query is not None]
        shown = {s.query.pk: s for s in reading.queries_shown(self.person, accepted, police=True)}
        rows = [
            BatchRow(line=r.index + 1, shown=shown[r.query.pk])
            if r.accepted and r.query is not None
            else BatchRow(
                line=r.index + 1,
                shown=None,
                code=r.error.code if r.error else "",
                refused_as=r.query.pk if r.query else None,
            )
            for r in results
        ]
        if fragment:
            return render(request, "console/_batch_results.html", {"batch": rows})
        return CaseDetailView(request=request).render_case(request, pk, None, batch=rows)
