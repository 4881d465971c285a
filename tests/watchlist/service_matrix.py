"""The watchlist's rows of the service matrix, and the helpers its tests share.

The world has no entry: `listed` makes one through the service, as unit A's supervisor,
from the world's case A, which first meets the value (`met`: an answer of the case names
it), since a case lists only what it met. Listing, delisting and reading are unit A's; a
check is open to police and the adapters of banks and platforms (the world's adapters are
platforms'). Sending a case's phone entries as blocks is for police of the case's unit.
"""

from __future__ import annotations

import uuid
from typing import Any

from exchange.models import Case, Finding
from partners.choices import PartnerKind
from partners.identity import AdapterPrincipal
from partners.models import Partner
from tests import factories
from tests.service_matrix import ServiceRow, every
from watchlist import selectors, services
from watchlist.choices import EntryStatus
from watchlist.models import WatchlistEntry, WatchlistListing, years_after

ACCOUNT = "6222020200112233445"
PHONE = "13912345678"
UNLISTED = "6222020200998877665"


def met(world: Any, value: str = ACCOUNT, *, kind: str = "account", case: Case | None = None) -> Finding:
    """`value` named by an answer of `case` (case A by default), as a finding of one of its
    queries (a lookup made for it when it has none): what the case must have met to list it."""
    case = case or world.case_a
    query = case.queries.first()
    if query is None:
        platform = world.platform_x if case.unit_id == world.unit_a.pk else world.platform_y
        query = factories.query(case.opened_by, case, platform)
    return Finding.objects.create(query=query, case=case, partner=query.partner, kind=kind, value=value)


def listed(
    world: Any,
    value: str = ACCOUNT,
    *,
    kind: str = "account",
    case: Any = None,
    restriction: str = "counter_only",
    reason: str = "mule_account",
) -> WatchlistEntry:
    """`value` listed by unit A's supervisor from case A (or `case`), which met it first."""
    met(world, value, kind=kind, case=case)
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
    met(world)
    arguments = {
        "case_id": world.case_a.pk,
        "value": ACCOUNT,
        "kind": "account",
        "reason": "mule_account",
        "restriction": "counter_only",
        **changes,
    }
    return services.entry_list(actor=actor, **arguments)


TELECOM = "tel-m"


def telecom(world: Any) -> Partner:
    """A telecom answering number blocks, granted to unit A (made once per world)."""
    found = Partner.objects.filter(code=TELECOM).first()
    if found is None:
        found = factories.answering_partner(TELECOM, kind=PartnerKind.TELECOM, answers=("number_block",))
        factories.grant(world.unit_a, found, "number_block")
    return found


def _block(world: Any, actor: Any, **changes: Any) -> object:
    telecom(world)
    listed(world, PHONE, kind="phone", reason="fraud_number", restriction="block")
    arguments = {"case_id": world.case_a.pk, "telecom": TELECOM, "reason": "fraud_call", **changes}
    return services.entries_block(actor=actor, **arguments)


POLICE_OF_A = {"officer_a": "ok", "supervisor_a": "ok", "officer_b": "not_found"}

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
        "watchlist.services.entry_list",
        lambda w, a: _list(w, a, value=UNLISTED),
        every("forbidden", supervisor_a="invalid", officer_b="not_found"),
        variant="a value the case did not meet",
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
    ServiceRow("watchlist.services.entries_block", _block, every("forbidden", **POLICE_OF_A)),
    ServiceRow(
        "watchlist.services.entries_block",
        lambda w, a: _block(w, a, reason="he calls at night"),
        every("invalid"),
        variant="free-text reason",
    ),
    ServiceRow(
        "watchlist.services.entries_block",
        lambda w, a: _block(w, a, period_days=366),
        every("invalid"),
        variant="over a year",
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
