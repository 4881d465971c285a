"""The watchlist's rows of the service matrix, and the helpers its tests share.

The world has no entry: `listed` makes one through the service, as unit A's supervisor,
from the world's case A. Listing, delisting and reading are unit A's; a check is open to
police and the adapters of banks and platforms (the world's adapters are platforms').
"""

from __future__ import annotations

import uuid
from typing import Any

from partners.identity import AdapterPrincipal
from tests import factories
from tests.service_matrix import ServiceRow, every
from watchlist import selectors, services
from watchlist.choices import EntryStatus
from watchlist.models import WatchlistEntry, WatchlistListing, years_after

ACCOUNT = "6222020200112233445"
PHONE = "13912345678"
UNLISTED = "6222020200998877665"


def listed(
    world: Any,
    value: str = ACCOUNT,
    *,
    kind: str = "account",
    case: Any = None,
    restriction: str = "counter_only",
    reason: str = "mule_account",
) -> WatchlistEntry:
    """`value` listed by unit A's supervisor from case A (or `case`)."""
    return services.entry_list(
        actor=world.supervisor_a,
        case_id=(case or world.case_a).pk,
        value=value,
        kind=kind,
        reason=reason,
        restriction=restriction,
    )


def entry_with_id(world: Any, entry_id: uuid.UUID, value: str = ACCOUNT) -> WatchlistEntry:
    """An active entry of unit A with a known id (for a path written before the world exists),
    made as the service makes one."""
    entry = WatchlistEntry.objects.create(
        id=entry_id,
        kind="account",
        value=value,
        reason="mule_account",
        restriction="counter_only",
        unit=world.unit_a,
        source_case=world.case_a,
        listed_by=world.supervisor_a,
        expires_at=years_after(world.case_a.opened_at),
    )
    WatchlistListing.objects.create(entry=entry, case=world.case_a, listed_by=world.supervisor_a)
    return entry


def delisted(world: Any) -> WatchlistEntry:
    entry = listed(world)
    return services.entry_delist(actor=world.supervisor_a, entry_id=entry.pk, reason="listed_in_error")


def check(values: list[tuple[str, str]]) -> list[services.CheckValue]:
    return [services.CheckValue(kind=kind, value=value) for kind, value in values]


CHECKERS = ("officer_a", "supervisor_a", "officer_b", "adapter_x", "adapter_y")
READERS = ("officer_a", "supervisor_a", "auditor")


def _list(world: Any, actor: Any, **changes: str) -> object:
    arguments = {
        "case_id": world.case_a.pk,
        "value": ACCOUNT,
        "kind": "account",
        "reason": "mule_account",
        "restriction": "counter_only",
        **changes,
    }
    return services.entry_list(actor=actor, **arguments)


ROWS: list[ServiceRow] = [
    ServiceRow(
        "watchlist.services.entry_list",
        _list,
        every("forbidden", supervisor_a="ok", officer_b="not_found"),
    ),
    ServiceRow(
        "watchlist.services.entry_list",
        lambda w, a: _list(w, a, reason="he told me so"),
        every("invalid"),
        variant="free-text reason",
    ),
    ServiceRow(
        "watchlist.services.entry_list",
        lambda w, a: _list(w, a, value="no digits"),
        every("invalid"),
        variant="value without digits",
    ),
    ServiceRow(
        "watchlist.services.entry_delist",
        lambda w, a: services.entry_delist(actor=a, entry_id=listed(w).pk, reason="listed_in_error"),
        every("not_found", officer_a="forbidden", supervisor_a="ok"),
    ),
    ServiceRow(
        "watchlist.services.entry_delist",
        lambda w, a: services.entry_delist(actor=a, entry_id=delisted(w).pk, reason="listed_in_error"),
        every("not_found", officer_a="forbidden", supervisor_a="conflict"),
        variant="already delisted",
    ),
    ServiceRow(
        "watchlist.services.entry_delist",
        lambda w, a: services.entry_delist(actor=a, entry_id=listed(w).pk, reason="because"),
        every("invalid"),
        variant="free-text reason",
    ),
    # The clock's act: it takes no actor, and ends only what is due.
    ServiceRow(
        "watchlist.services.entries_expire",
        lambda w, a: services.entries_expire(),
        every("ok"),
    ),
    ServiceRow(
        "watchlist.services.watchlist_check",
        lambda w, a: services.watchlist_check(
            actor=a, values=check([("account", ACCOUNT), ("phone", PHONE)])
        ),
        every("forbidden", **dict.fromkeys(CHECKERS, "ok")),
    ),
    ServiceRow(
        "watchlist.services.watchlist_check",
        lambda w, a: services.watchlist_check(actor=a, values=check([("account", ACCOUNT)] * 1001)),
        every("forbidden", **dict.fromkeys(CHECKERS, "invalid")),
        variant="over 1,000 values",
    ),
    ServiceRow(
        "watchlist.selectors.entry_get",
        lambda w, a: selectors.entry_get(actor=a, entry_id=listed(w).pk),
        every("not_found", **dict.fromkeys(READERS, "ok")),
    ),
    # A restricted list: empty for whoever reaches no entry.
    ServiceRow(
        "watchlist.selectors.entries_of_unit",
        lambda w, a: list(selectors.entries_of_unit(actor=a, status=EntryStatus.ACTIVE)),
        every("ok"),
    ),
    ServiceRow(
        "watchlist.selectors.listing_counts",
        lambda w, a: selectors.listing_counts(actor=a, indexes=[w.query_a.subject_index]),
        every("forbidden", officer_a="ok", supervisor_a="ok", officer_b="ok"),
    ),
]


def bank_adapter(world: Any, partner: Any = None) -> AdapterPrincipal:
    """The adapter of the world's bank (or `partner`), its key made on first need."""
    partner = partner or world.bank
    held = partner.adapter_keys.first() or factories.adapter_key(partner).key
    return AdapterPrincipal(key=held)
