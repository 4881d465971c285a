"""Filters for the console's pages: amounts in yuan, times in Asia/Shanghai, statuses in the
page's language (the exchange's own labels are English)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from console.access import landing_url
from console.forms import RevealForm

register = template.Library()

SHANGHAI = ZoneInfo("Asia/Shanghai")

STATUS_LABELS = {
    "awaiting_approval": _("Awaiting approval"),
    "pending": _("Pending"),
    "dispatched": _("Delivered, waiting for the answer"),
    "answered": _("Answered"),
    "not_found": _("Not found by the partner"),
    "failed": _("Failed"),
    "expired": _("Expired: no answer before the deadline"),
    "refused": _("Refused by the gateway"),
    "cancelled": _("Cancelled"),
    "open": _("Open"),
    "closed": _("Closed"),
}


@register.filter
def yuan(value: object) -> str:
    """`5200` → `¥5,200.00`; an empty value stays empty."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return ""
    return f"¥{amount:,.2f}"


@register.filter
def shanghai(value: object) -> str:
    """A moment as the centres read it: Asia/Shanghai, to the second."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, datetime):
        return ""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


KIND_LABELS = {
    "order_lookup": _("Order lookup"),
    "account_transfers": _("Account transfers"),
    "stop_payment": _("Emergency stop-payment"),
    "freeze": _("Freeze"),
    "freeze_renew": _("Freeze renewal"),
    "freeze_release": _("Freeze release"),
    "number_block": _("Number block"),
}


@register.filter
def time_left(value: object) -> str:
    """How long until a moment, to the minute (`3 h 05 min`); a moment passed is `0 h 00 min`."""
    if not isinstance(value, datetime):
        return ""
    minutes = max(0, int((value - timezone.now()).total_seconds() // 60))
    return str(_("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60})


@register.filter
def kind_label(value: object) -> str:
    return str(KIND_LABELS.get(str(value), value))


@register.filter
def status_label(value: object) -> str:
    return str(STATUS_LABELS.get(str(value), value))


@register.simple_tag
def reveal_purposes() -> list[tuple[str, str]]:
    """The purposes a reveal may name, labelled in the page's language."""
    return [(str(code), str(label)) for code, label in RevealForm.base_fields["purpose"].choices]  # type: ignore[attr-defined]


@register.simple_tag
def home_url(person: Any) -> str:
    """The header's home link: the person's first page (`console.access.landing_url`), the
    sign-in page for a visitor."""
    return landing_url(person) if getattr(person, "is_authenticated", False) else reverse("console:sign-in")
