"""Queries counted by unit, partner, kind, status and outcome, with their answer times bucketed: what
a day's roll-up stores and what the days not rolled up are read as, by the same two grouped
queries, so both give the same figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BigIntegerField, Count, DurationField, ExpressionWrapper, F, Func, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from exchange.choices import ANSWER_STATUSES
from exchange.models import Query

from .buckets import bucket

Key = tuple[int, int, str, str, str]  # unit, partner, kind, status, outcome


@dataclass
class Tally:
    count: int = 0
    sent: int = 0
    buckets: Counter[int] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.count += other.count
        self.sent += other.sent
        self.buckets.update(other.buckets)


class AnswerMs(Func):
    """Created to answered, in whole milliseconds (truncated), in the database."""

    output_field = BigIntegerField()

    def __init__(self) -> None:
        super().__init__(ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField()))

    def as_postgresql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> Any:
        template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s) * 1000)::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> Any:
        # Django's SQLite durations are whole microseconds: integer division truncates.
        return self.as_sql(compiler, connection, template="(%(expressions)s / 1000)", **extra)


def tallies(queries: QuerySet[Query]) -> dict[Key, Tally]:
    """The queries counted per unit, partner, kind, status and outcome, and the answered ones' times
    bucketed: one grouped query for the counts, one for the times (grouped by the
    millisecond, which the buckets then merge)."""
    found: dict[Key, Tally] = {}
    groups = ("case__unit_id", "partner_id", "kind", "status", "outcome")
    counted = (
        queries.values(*groups)
        .annotate(count=Count("pk"), sent=Count("pk", filter=Q(dispatched_at__isnull=False)))
        .order_by()
    )
    for row in counted:
        key = (row["case__unit_id"], row["partner_id"], row["kind"], row["status"], row["outcome"])
        found[key] = Tally(count=row["count"], sent=row["sent"])
    timed = (
        queries.filter(status__in=ANSWER_STATUSES, answered_at__isnull=False)
        .annotate(ms=AnswerMs())
        .values(*groups, "ms")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in timed:
        key = (row["case__unit_id"], row["partner_id"], row["kind"], row["status"], row["outcome"])
        found[key].buckets[bucket(row["ms"])] += row["count"]
    return found
