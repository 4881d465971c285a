"""The watchlist's pages: the unit's entries (masked), a value listed from one of the unit's
cases, an entry delisted with a reason code, and a check of accounts or numbers.

The same services and selectors as `/api/v1/watchlist/` (`watchlist.services`,
`watchlist.selectors`), so the same people may do the same acts: police and auditors read
the entries (auditors every unit's), a supervisor lists and delists (an officer is the
service's `Forbidden`, another unit's case or entry its `NotFound`), police check. Every value
typed is sent by POST, never in a URL, and never shown back but masked. A check spends the
same budget per partner as the API's (`watchlist_check`), so the console is no way around
the throttle that keeps anybody from walking a range of numbers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import SimpleRateThrottle

from core.actors import acting_role
from core.errors import Invalid
from core.roles import Role
from privacy.masking import mask
from watchlist import selectors, services
from watchlist.choices import DelistReason, EntryKind, EntryStatus, ListingReason, Restriction

from .. import reading
from ..access import CASE_READERS, POLICE, ConsoleView

ENTRIES_SHOWN = 100
CASES_OFFERED = 200
# A check from the console: a page's worth of values, well under the API's 1,000.
MAX_CHECK_LINES = 100

# The watchlist's codes in the page's language (the choices' own labels are English).
KIND_LABELS: dict[str, Any] = {
    EntryKind.ACCOUNT: _("Bank account or card number"),
    EntryKind.PHONE: _("Phone number"),
}
REASON_LABELS: dict[str, Any] = {
    ListingReason.MULE_ACCOUNT: _("Account that received or moved fraud proceeds"),
    ListingReason.SOLD_CARD: _("Card or account sold or lent to fraudsters"),
    ListingReason.FRAUD_PAYEE: _("Payee account of a confirmed fraud"),
    ListingReason.FRAUD_NUMBER: _("Phone number used to contact victims"),
    ListingReason.SOLD_NUMBER: _("Phone number sold or lent to fraudsters"),
}
RESTRICTION_LABELS: dict[str, Any] = {
    Restriction.MONITOR: _("Monitor: report activity, do not restrict"),
    Restriction.COUNTER_ONLY: _("Counter only: no remote or card channels"),
    Restriction.BLOCK: _("Block: no transactions at all"),
}
STATUS_LABELS: dict[str, Any] = {
    EntryStatus.ACTIVE: _("On the list"),
    EntryStatus.DELISTED: _("Taken off the list"),
    EntryStatus.EXPIRED: _("Left the list at its expiry"),
}
DELIST_LABELS: dict[str, Any] = {
    DelistReason.LISTED_IN_ERROR: _("Listed in error"),
    DelistReason.CLEARED_BY_INVESTIGATION: _("The investigation cleared it"),
    DelistReason.COURT_DECISION: _("A court decision lifts the restriction"),
    DelistReason.HOLDER_REHABILITATED: _("The holder was rehabilitated early"),
    DelistReason.NUMBER_REASSIGNED: _("The number was reassigned to someone else"),
}
# The services' refusals by code; never their messages, which may describe the value.
REFUSALS = {
    "not_in_case": _(
        "The case has not met this value: list only an account or number its answers, traces or "
        "queries named."
    ),
    "invalid": _("Not a valid value: an account or phone number, with digits."),
    "not_active": _("The entry is no longer on the list."),
    "throttled": _("Too many checks for your unit in the last minute: wait and try again."),
}


def _choices(labels: dict[Any, Any]) -> list[tuple[str, Any]]:
    return [(str(code), label) for code, label in labels.items()]


class EntryAddForm(forms.Form):
    """A value to list from a case of the unit (the API's `EntryInputSerializer` fields)."""

    # Any id: the service decides whose case it is (another unit's is its audited `NotFound`).
    case = forms.UUIDField(label=_("Case"), widget=forms.Select)
    kind = forms.ChoiceField(label=_("Kind"), choices=_choices(KIND_LABELS))
    value = forms.CharField(label=_("Value"), max_length=services.MAX_VALUE_LENGTH, strip=True)
    reason = forms.ChoiceField(label=_("Reason"), choices=_choices(REASON_LABELS))
    restriction = forms.ChoiceField(label=_("Restriction"), choices=_choices(RESTRICTION_LABELS))

    def __init__(self, *args: Any, cases: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].widget.choices = cases


class DelistForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=_choices(DELIST_LABELS))


class CheckForm(forms.Form):
    """Accounts or phone numbers to check, one a line (blank lines ignored)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=_choices(KIND_LABELS))
    values = forms.CharField(label=_("Values, one a line"), widget=forms.Textarea, strip=True)

    def clean_values(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["values"].splitlines() if line.strip()]
        if not 1 <= len(lines) <= MAX_CHECK_LINES:
            raise forms.ValidationError(
                _("From 1 to %(limit)d values, one a line.") % {"limit": MAX_CHECK_LINES}
            )
        if any(len(line) > services.MAX_VALUE_LENGTH for line in lines):
            raise forms.ValidationError(
                _("A value is at most %(limit)d characters.") % {"limit": services.MAX_VALUE_LENGTH}
            )
        return lines


class CheckThrottle(SimpleRateThrottle):
    """The API's `watchlist_check` budget (`api.watchlist.views.PerPartnerThrottle`: the same
    rate, the same cache key, per partner), spent by the console's checks too."""

    scope = "watchlist_check"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return str(self.cache_format % {"scope": self.scope, "ident": f"partner:{request.user.partner.pk}"})


def _unit_cases(person: Any) -> list[tuple[str, str]]:
    return [(str(case.pk), case.number) for case in reading.cases_shown(person)[:CASES_OFFERED]]


class WatchlistView(ConsoleView):
    """The entries the person may see (their unit's; auditors every unit's), newest first,
    masked, `ENTRIES_SHOWN` a page; `?status=` one status. Police get the check, supervisors
    the listing form and a delisting form on each entry on the list."""

    allowed_roles = CASE_READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(request)

    def render_page(self, request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
        role = acting_role(self.person)
        wanted = request.GET.get("status") or None
        entries = selectors.entries_of_unit(actor=self.person, status=wanted).select_related(
            "unit", "source_case"
        )
        page = Paginator(entries.order_by("-listed_at", "pk"), ENTRIES_SHOWN).get_page(
            request.GET.get("page")
        )
        rows = [
            {
                "entry": entry,
                "value": mask(entry.kind, entry.value),
                "kind": KIND_LABELS.get(entry.kind, entry.kind),
                "reason": REASON_LABELS.get(entry.reason, entry.reason),
                "restriction": RESTRICTION_LABELS.get(entry.restriction, entry.restriction),
                "status": STATUS_LABELS.get(entry.status, entry.status),
                "delist_reason": DELIST_LABELS.get(entry.delist_reason, entry.delist_reason),
                "active": entry.status == EntryStatus.ACTIVE,
            }
            for entry in page.object_list
        ]
        supervisor = role == Role.SUPERVISOR
        refused = request.GET.get("refused", "")
        defaults = {
            "rows": rows,
            "page": page,
            "wanted": wanted or "",
            "statuses": _choices(STATUS_LABELS),
            "auditor": role == Role.AUDITOR,
            "supervisor": supervisor,
            "add_form": EntryAddForm(cases=_unit_cases(self.person)) if supervisor else None,
            "delist_form": DelistForm() if supervisor else None,
            "check_form": CheckForm() if role in POLICE else None,
            "refused": REFUSALS.get(refused, _("The exchange refused this.")) if refused else None,
        }
        return render(request, "console/watchlist.html", defaults | context, status=status)


class WatchlistAddView(ConsoleView):
    """`POST` a value to list from a case of the unit (`entry_list`, as `POST /api/v1/watchlist/`);
    back to the list, or the list with the form's error. The page never puts the value back
    (its field is rendered empty) and names a refusal by its code, never by the value."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EntryAddForm(request.POST, cases=_unit_cases(self.person))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.entry_list(
                    actor=self.person,
                    case_id=data["case"],
                    value=data["value"],
                    kind=data["kind"],
                    reason=data["reason"],
                    restriction=data["restriction"],
                )
            except Invalid as refused:
                form.add_error(None, REFUSALS.get(refused.code, REFUSALS["invalid"]))
            else:
                return HttpResponseRedirect(reverse("console:watchlist"))
        return WatchlistView(request=request).render_page(request, status=400, add_form=form)


class WatchlistDelistView(ConsoleView):
    """`POST` a reason code: a supervisor of the entry's unit takes it off the list
    (`entry_delist`, as `POST /api/v1/watchlist/{id}/delist/`)."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        form = DelistForm(request.POST)
        if not form.is_valid():
            selectors.entry_get(actor=self.person, entry_id=pk)  # out of scope stays a 404
            return _back("invalid")
        try:
            services.entry_delist(actor=self.person, entry_id=pk, reason=form.cleaned_data["reason"])
        except services.NotActive as refused:  # Forbidden and NotFound are the page's 403 and 404
            return _back(refused.code)
        return _back()


def _back(refused: str = "") -> HttpResponseRedirect:
    page = reverse("console:watchlist")
    return HttpResponseRedirect(f"{page}?{urlencode({'refused': refused})}" if refused else page)


class WatchlistCheckView(ConsoleView):
    """`POST` accounts or numbers (`watchlist_check`, as `POST /api/v1/watchlist/check/`): per
    value, listed or not and the strictest restriction asked, the value shown masked."""

    allowed_roles = POLICE

    def post(self, request: HttpRequest) -> HttpResponse:
        page = WatchlistView(request=request)
        form = CheckForm(request.POST)
        if not form.is_valid():
            kept = CheckForm(initial={"kind": form.data.get("kind")})
            return page.render_page(request, status=400, check_form=kept, check_errors=_errors(form))
        if not CheckThrottle().allow_request(request, self):  # type: ignore[arg-type]
            return page.render_page(request, status=429, check_errors=[REFUSALS["throttled"]])
        kind, lines = form.cleaned_data["kind"], form.cleaned_data["values"]
        try:
            results = services.watchlist_check(
                actor=self.person, values=[services.CheckValue(kind=kind, value=line) for line in lines]
            )
        except Invalid:
            return page.render_page(request, status=400, check_errors=[REFUSALS["invalid"]])
        checked = [
            {
                "line": result.index + 1,
                "value": mask(kind, lines[result.index]),
                "listed": result.listed,
                "restriction": RESTRICTION_LABELS.get(result.restriction, "") if result.restriction else "",
            }
            for result in results
        ]
        return page.render_page(request, check_form=CheckForm(initial={"kind": kind}), checked=checked)


def _errors(form: forms.Form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]
