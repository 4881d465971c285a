"""The police's account search: which of my unit's cases involve this account, and how many
other units' cases do (`disclosure.account_search`, as `POST /api/v1/accounts/search/`).

The account number travels in a POST body only, never in a URL (where logs, proxies and the
browser's history would keep it), and the page never shows it back in plaintext: the answer
names it masked, and the form comes back empty. The service records the search (one event
per own case found, the account's blind index, never the number), exactly as for the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from exchange.services import disclosure
from privacy.choices import Kind
from privacy.masking import mask

from .. import reading
from ..access import POLICE, ConsoleView

# As the API's `AccountSearchInputSerializer` takes it: digits, in groups as printed on a card
# or a statement (single spaces or dashes between); the service checks again.
ACCOUNT_NUMBER = r"^[0-9](?:[ -]?[0-9]){5,33}$"


class AccountSearchForm(forms.Form):
    account_number = forms.RegexField(
        label=_("Account or card number"),
        regex=ACCOUNT_NUMBER,
        max_length=70,
        error_messages={"invalid": _("Digits only (6 to 34), in groups separated by a space or a dash.")},
    )


class AccountSearchView(ConsoleView):
    """`GET` the empty form; `POST` the account number (CSRF-checked) and see the unit's cases
    that involve it, masked, with the count of other units' cases."""

    allowed_roles = POLICE

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "console/account_search.html", {"form": AccountSearchForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AccountSearchForm(request.POST)
        if not form.is_valid():
            # The errors only: the typed value is not rendered back into the page.
            errors = list(form.errors.get("account_number", ()))
            refused = {"form": AccountSearchForm(), "errors": errors}
            return render(request, "console/account_search.html", refused, status=400)
        number: str = form.cleaned_data["account_number"]
        found = disclosure.account_search(actor=self.person, account_number=number)
        context: dict[str, Any] = {
            "form": AccountSearchForm(),  # empty: the number is not rendered back
            "searched": mask(Kind.ACCOUNT, number),
            "cases": [(case, reading.masked_title(case)) for case in found.cases],
            "other_units_cases": found.other_units_cases,
        }
        return render(request, "console/account_search.html", context)
