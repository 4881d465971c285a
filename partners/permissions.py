"""The permission a grant holds: `partners.send_<kind>`, one row per registered request kind.

A grant is a guardian group object permission (`models.Grant`), so each request kind needs
a `Permission` row of the `Partner` model. The kinds are those `core.request_kinds` holds,
registered by the exchange's kind packages when the apps load, so the rows are made after
every `migrate` (`permissions_create`, a `post_migrate` receiver, as Django makes its own
add/change/delete/view rows) rather than declared in `Partner.Meta`: a new kind needs no
migration of the partner registry. Rows of a kind that no longer exists are kept, with the
grants that hold them, for the record.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS

from core import request_kinds

PREFIX = "send_"


def send_codename(kind: str) -> str:
    """The codename of the permission that lets a unit send `kind` to a partner."""
    return f"{PREFIX}{kind}"


def kind_of(codename: str) -> str:
    return codename.removeprefix(PREFIX)


def send_permission(kind: str, *, using: str = DEFAULT_DB_ALIAS) -> Permission:
    """The permission row for `kind`, made if it is not there yet."""
    known = request_kinds.get(kind)
    partner_type = ContentType.objects.db_manager(using).get_by_natural_key("partners", "partner")
    permission, _ = Permission.objects.using(using).get_or_create(
        content_type=partner_type,
        codename=send_codename(kind),
        defaults={"name": f"May send {known.label.lower() if known else kind} requests"},
    )
    return permission


def permissions_create(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """`post_migrate` of the partners app: a permission row for every registered request kind."""
    for kind in request_kinds.names():
        send_permission(kind, using=using)
