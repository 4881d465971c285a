"""The watchlist's part of the end of retention (`exchange.retention`): an entry that has left
the list, once every case that listed it is erased, loses its value and blind index too, one
audit event each. An entry still on the list keeps them (the list must still find the value),
and so does one that a case still within retention listed; each is erased once both hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from audit.services import event_record
from exchange.retention import SYSTEM, retention_swept, row_erase

from .audit_actions import WatchlistAction
from .choices import EntryStatus
from .models import WatchlistEntry


def connect() -> None:
    retention_swept.connect(_entries_erase, dispatch_uid="watchlist.retention")


def _entries_erase(sender: Any, *, now: datetime, **kwargs: Any) -> dict[str, int]:
    due = WatchlistEntry.objects.filter(
        status__in=[EntryStatus.DELISTED, EntryStatus.EXPIRED], value_index__isnull=False
    ).exclude(listings__case__erased_at__isnull=True)
    erased = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            entry = due.select_for_update().filter(pk=pk).first()
            if entry is not None:
                row_erase(entry)
                event_record(
                    actor=SYSTEM,
                    action=WatchlistAction.ENTRY_ERASED,
                    target=entry,
                    case_id=str(entry.source_case_id),
                    details={"entry": str(entry.pk), "kind": entry.kind, "status": entry.status},
                )
                erased += 1
    return {"watchlist_entry": erased}
