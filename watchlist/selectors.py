"""Reading the watchlist: a unit's entries for its police, every unit's for auditors (masked
by the API); nobody else reads entries, they only check values (`services.watchlist_check`)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, QuerySet

from core.actors import Actor
from core.errors import Invalid

from .access import access_entry_by_id
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
