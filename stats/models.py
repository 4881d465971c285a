"""The centre's figures of past days, rolled up, so a month's figures read a few thousand rows
instead of a million queries.

A centre day (Asia/Shanghai) is rolled up once it has settled (`stats.rollup`): its queries
counted by unit, partner, kind, status and outcome, with their answer times in logarithmic
buckets 2 % wide (`stats.buckets`: within 1 % of any time in them), which is what percentiles
over many days can be merged from. `RolledDay`
says which days the rows stand for; a day without one is read from the queries themselves.
"""

from __future__ import annotations

from django.db import models

from partners.models import Partner


class RolledDay(models.Model):
    """A centre day whose queries `DayFigures` holds, as they stood at `rolled_at`."""

    day = models.DateField(unique=True)
    rolled_at = models.DateTimeField()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"rolled {self.day}"


class DayFigures(models.Model):
    """One day's queries of one unit to one partner, of one kind, in one status and outcome.

    `answer_buckets` maps a bucket (`stats.buckets`) to how many of these queries took an
    answer time in it: empty unless the status is an answer's.
    """

    rolled = models.ForeignKey(RolledDay, on_delete=models.CASCADE, related_name="figures")
    unit = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=20)
    outcome = models.CharField(max_length=30, blank=True, help_text="The answers' outcome code, if any.")
    count = models.PositiveIntegerField()
    sent = models.PositiveIntegerField(help_text="How many were delivered to the partner.")
    answer_buckets = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "day figures"
        constraints = [
            models.UniqueConstraint(
                fields=["rolled", "unit", "partner", "kind", "status", "outcome"], name="day_figures_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.status} on {self.rolled_id}"
