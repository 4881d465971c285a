"""The watchlist: accounts and phone numbers confirmed in a unit's cases, and what is asked of them.

A value is encrypted and searched only by its blind index (`privacy.fields`). A unit holds
at most one active entry per value (a partial unique constraint, backed by the service's
lookup over every active index key version): the same value in a new case of the unit
extends the entry and adds the case to its `listings`, so "how many cases listed it" is an
indexed count. A check of many values is one `IN` query over (`value_index`, `status`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from exchange.models import Case
from partners.models import Partner, Person
from privacy.fields import BlindIndexField, EncryptedTextField

from .choices import DelistReason, EntryKind, EntryStatus, ListingReason, Restriction
from .querysets import EntryQuerySet

LISTING_YEARS = 5


def years_after(moment: datetime, years: int = LISTING_YEARS) -> datetime:
    """The same instant `years` later; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


class WatchlistEntry(models.Model):
    """A value one unit listed from its cases, with the restriction it asks, until it expires.

    `source_case` is the case that first listed it, `listings` every case that did.
    `expires_at` is five years after `last_involved_at` unless a supervisor set otherwise;
    each new case moves both. `status` leaves `active` once, by a supervisor's delisting
    (`delisted_*`, a reason code) or by the clock (`expired`).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    value = EncryptedTextField(kind_field="kind")
    # Indexed with the status below: a check reads (value_index, status) and nothing else.
    value_index = BlindIndexField(source="value", db_index=False)
    reason = models.CharField(max_length=30, choices=ListingReason.choices)
    restriction = models.CharField(max_length=20, choices=Restriction.choices)
    unit = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="watchlist_entries")
    source_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="watchlist_entries")
    listed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    listed_at = models.DateTimeField(default=timezone.now)
    last_involved_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.ACTIVE)
    delisted_at = models.DateTimeField(null=True, blank=True)
    delisted_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delist_reason = models.CharField(max_length=30, choices=DelistReason.choices, blank=True)

    objects: ClassVar[Any] = EntryQuerySet.as_manager()
    audit_case_field: ClassVar[str] = "source_case_id"

    class Meta:
        ordering = ["-listed_at"]
        verbose_name_plural = "watchlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["value_index", "unit"],
                condition=models.Q(status="active"),
                name="watchlist_one_active_per_value_and_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["value_index", "status"], name="watchlist_value_status_idx"),
            models.Index(fields=["status", "expires_at"], name="watchlist_status_expiry_idx"),
            models.Index(fields=["unit", "-listed_at"], name="watchlist_unit_listed_idx"),
            models.Index(fields=["listed_at"], name="watchlist_listed_idx"),  # the figures' listings
        ]

    def __str__(self) -> str:
        return f"{self.kind} entry {self.id} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.expires_at is None:
            self.expires_at = years_after(self.last_involved_at)
        super().save(*args, **kwargs)


class WatchlistListing(models.Model):
    """One case that listed an entry's value: the first, and each that extended it since."""

    entry = models.ForeignKey(WatchlistEntry, on_delete=models.PROTECT, related_name="listings")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    listed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    listed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["listed_at"]
        constraints = [models.UniqueConstraint(fields=["entry", "case"], name="watchlist_listing_once")]

    def __str__(self) -> str:
        return f"listing of {self.entry_id} by {self.case_id}"


class WatchlistHit(models.Model):
    """How many values of one check were on one unit's list: what the unit's figures count as
    its hits (`watchlist.figures`). A row per unit hit per check, appended, never updated, so
    checks never wait on each other; nothing says which values or which entries."""

    unit = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now)
    hits = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["checked_at"], name="watchlist_hit_time_idx"),
            models.Index(fields=["unit", "checked_at"], name="watchlist_hit_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hits} hit(s) on {self.unit_id}"
