"""The console's forms: what a person types, checked before any service is called. The
services check everything again; these only give the page its error messages."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from exchange.services.queries import MAX_BATCH

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOW_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]  # what datetime-local sends, or typed
# A thousand order numbers of at most 40 characters, with room for a header and line ends.
MAX_BATCH_BYTES = 64 * 1024


class SignInForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


class CodeForm(forms.Form):
    """A TOTP code: six digits."""

    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[0-9]{6}$",
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class CaseOpenForm(forms.Form):
    """A new case of the person's unit (`case_open`'s fields, as `POST /api/v1/cases/` takes them)."""

    number = forms.RegexField(
        label=_("Case number"),
        regex=r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$",
        max_length=64,
        error_messages={"invalid": _("Letters, digits and / _ . - only, 64 at most.")},
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    fraud_type = forms.ChoiceField(
        label=_("Fraud type"),
        choices=[
            ("impersonation", _("Impersonating police, officials or customer service")),
            ("investment", _("Fake investment or gambling platform")),
            ("online_shopping", _("Online shopping or refund scam")),
            ("loan", _("Fake loan or credit repair")),
            ("romance", _("Romance scam")),
            ("part_time_job", _("Part-time job or click-farming scam")),
            ("other", _("Other")),
        ],
    )
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=300)
    victim_loss = forms.DecimalField(
        label=_("Victim's loss (yuan)"), max_digits=14, decimal_places=2, min_value=0
    )


class LookupForm(forms.Form):
    """An order lookup, as the victim's receipt shows it (`order_lookup`'s input)."""

    partner = forms.ChoiceField(label=_("Payment platform"))
    order_number = forms.RegexField(
        label=_("Order number"),
        regex=r"^[A-Za-z0-9-]{6,40}$",
        max_length=40,
        error_messages={"invalid": _("6 to 40 letters, digits or dashes.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False
    )

    def __init__(self, *args: object, partners: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["partner"].choices = partners  # type: ignore[attr-defined]


class RevealForm(forms.Form):
    """Why the plaintext is needed: one of the exchange's purposes, never free text."""

    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[
            ("freeze_request", _("Ask the bank to stop payment or freeze the account")),
            ("identify_suspect", _("Identify the account holder as a suspect")),
            ("trace_funds", _("Follow the money to onward accounts")),
            ("victim_return", _("Return funds to the victim")),
            ("evidence", _("Case file and court evidence")),
        ],
    )


class RejectForm(forms.Form):
    """Why a supervisor rejects: the exchange's codes, never free text."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            ("insufficient_grounds", _("The grounds do not justify it")),
            ("wrong_details", _("The account, name, amount or time is wrong")),
            ("duplicate", _("Already asked in this case")),
            ("no_decision", _("No freeze decision backs it")),
            ("not_needed", _("No longer needed")),
        ],
    )


class ShanghaiWindowForm(forms.Form):
    """`[since, until)` typed in Asia/Shanghai (the console's times), either left out at will;
    the audit log's search and the anomaly reports take their windows so."""

    since = forms.DateTimeField(label=_("From (inclusive)"), required=False, input_formats=WINDOW_FORMATS)
    until = forms.DateTimeField(label=_("Until (exclusive)"), required=False, input_formats=WINDOW_FORMATS)

    def _shanghai(self, name: str) -> datetime | None:
        value: datetime | None = self.cleaned_data.get(name)
        return None if value is None else value.replace(tzinfo=None).replace(tzinfo=SHANGHAI)

    def clean_since(self) -> datetime | None:
        return self._shanghai("since")

    def clean_until(self) -> datetime | None:
        return self._shanghai("until")


class EventSearchForm(ShanghaiWindowForm):
    """The audit log's filters, as `GET /api/v1/audit/events/` takes them; times typed in
    Asia/Shanghai. Ids and codes only: no personal value is ever a filter (nor in the URL)."""

    actor = forms.CharField(label=_("Actor"), max_length=120, required=False)
    partner = forms.CharField(label=_("Partner"), max_length=40, required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    case = forms.CharField(label=_("Case id"), max_length=64, required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Any")), ("allowed", _("Allowed")), ("denied", _("Denied")), ("error", _("Error"))],
    )

    def __init__(self, *args: object, actions: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["action"].choices = [("", _("Any")), *actions]  # type: ignore[attr-defined]


class BatchForm(forms.Form):
    """A CSV of order numbers, one a line (its first column; a header `order_number` is
    skipped), for one payment platform. At most `MAX_BATCH` rows, like the API's batch."""

    partner = forms.ChoiceField(label=_("Payment platform"))
    file = forms.FileField(label=_("CSV file of order numbers"))

    def __init__(self, *args: object, partners: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["partner"].choices = partners  # type: ignore[attr-defined]

    def clean_file(self) -> list[str]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BATCH_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        rows = [row[0].strip() if row else "" for row in csv.reader(io.StringIO(text))]
        if rows and rows[0].lower() == "order_number":
            rows = rows[1:]
        rows = [row for row in rows if row]
        if not rows:
            raise forms.ValidationError(_("The file holds no order number."))
        if len(rows) > MAX_BATCH:
            raise forms.ValidationError(
                _("At most %(limit)s order numbers at once.") % {"limit": f"{MAX_BATCH:,}"}
            )
        return rows
