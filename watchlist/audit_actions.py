"""What the watchlist records: listings, their extension and end, and every check against it."""

from django.db import models


class WatchlistAction(models.TextChoices):
    ENTRY_LISTED = "watchlist_entry_listed", "Value listed on the watchlist"
    ENTRY_EXTENDED = "watchlist_entry_extended", "Watchlist entry extended by a new case"
    ENTRY_DELISTED = "watchlist_entry_delisted", "Value taken off the watchlist"
    ENTRY_EXPIRED = "watchlist_entry_expired", "Watchlist entry expired"
    ENTRY_ERASED = "watchlist_entry_erased", "Watchlist entry's value erased at the end of retention"
    CHECKED = "watchlist_checked", "Values checked against the watchlist"
    BLOCKS_SENT = "watchlist_blocks_sent", "A case's listed phone numbers sent to a telecom to block"
