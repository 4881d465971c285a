"""The watchlist's share of the centre's figures (`stats.selectors`): its size and what it did
over a range, for one unit or every unit. Counts from indexed aggregates; the caller has
decided who may read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Sum

from .choices import EntryStatus
from .models import WatchlistEntry, WatchlistHit


@dataclass(frozen=True)
class WatchlistFigures:
    active: int  # on the list now
    listed: int  # listed in the range
    delisted: int
    expired: int
    hits: int  # values checked in the range that were on the list (per unit listing them)


def watchlist_figures(start: datetime, end: datetime, unit_id: int | None = None) -> WatchlistFigures:
    """One indexed count each: the list's size by (status, expiry), the range's listings by
    their time, its delistings and expiries by (status, time), its hits by (unit, time)."""
    entries = (
        WatchlistEntry.objects.all() if unit_id is None else WatchlistEntry.objects.filter(unit_id=unit_id)
    )
    hits = WatchlistHit.objects.filter(checked_at__gte=start, checked_at__lt=end)
    if unit_id is not None:
        hits = hits.filter(unit_id=unit_id)
    return WatchlistFigures(
        active=entries.filter(status=EntryStatus.ACTIVE).count(),
        listed=entries.filter(listed_at__gte=start, listed_at__lt=end).count(),
        delisted=entries.filter(
            status=EntryStatus.DELISTED, delisted_at__gte=start, delisted_at__lt=end
        ).count(),
        expired=entries.filter(status=EntryStatus.EXPIRED, expires_at__gte=start, expires_at__lt=end).count(),
        hits=hits.aggregate(total=Sum("hits"))["total"] or 0,
    )
