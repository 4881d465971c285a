"""Reading the watchlist: a unit's entries for its police, every unit's for auditors (masked
by the API); nobody else reads entries, they only check values (`services.watchlist_check`)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Count, QuerySet

from core.actors import Actor
from core.errors import Invalid

from .access import access_entry_by_id, police_only
from .choices import EntryStatus
from .models import WatchlistEntry
from .querysets import VIEW


def _with_case_counts() -> QuerySet[WatchlistEntry]:
    return WatchlistEntry.objects.annotate(cases=Count("listings"))


def entry_get(*, actor: Actor, entry_id: UUID | str) -> WatchlistEntry:
    """One entry the actor may see, with `cases`, how many of its unit's cases listed it;
    `NotFound` for anybody else (audited)."""
    return access_entry_by_id(actor, entry_id, VIEW, queryset=_with_case_counts())


def entries_of_unit(*, actor: Actor, status: str | None = None) -> QuerySet[WatchlistEntry]:
    """The entries the actor may see (their unit's, or every unit's for auditors), with
    `cases`; only those of `status` when given."""
    entries = WatchlistEntry.objects.restrict(actor, VIEW).annotate(cases=Count("listings"))
    if status is not None:
        if status not in EntryStatus.values:
            raise Invalid("Unknown status.", fields={"status": [f"One of {', '.join(EntryStatus.values)}."]})
        entries = entries.filter(status=status)
    return entries


def listing_counts(*, actor: Actor, indexes: Iterable[bytes | None]) -> dict[bytes, int]:
    """How many cases, of any unit, list each value on the watchlist (active entries), by the
    blind index a query or a trace's account stores: what flags a new query to its officer.
    A count, never which cases; for police only (anyone else `Forbidden`, audited). One
    grouped query for a whole page. A value indexed under an older key version than its
    entry (during a rotation) is flagged once the rotation has re-indexed it."""
    police_only(actor, "Only police see how many cases list a value.")
    wanted = {bytes(index) for index in indexes if index}
    if not wanted:
        return {}
    rows = (
        WatchlistEntry.objects.filter(value_index__in=wanted, status=EntryStatus.ACTIVE)
        .values("value_index")
        .annotate(cases=Count("listings__case", distinct=True))
        .order_by()
    )
    return {bytes(row["value_index"]): row["cases"] for row in rows}
