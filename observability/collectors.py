"""Gauges read from the database at scrape time, so every process reports the same truth.

A counter kept in memory would be right only in the process that saw the event; what is
waiting (the outbox, the partners' open queries, the sequencer's queue) is rows, so it is
counted where it is. Each scrape runs a handful of indexed aggregates over open rows only,
never over the history; labels are partner codes, kinds and statuses only.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from audit.models import UnsequencedEvent
from audit.selectors import sequencer_lag_seconds
from exchange.choices import OPEN_QUERY_STATUSES
from exchange.models import OutboxMessage, Query


def _families() -> dict[str, GaugeMetricFamily | CounterMetricFamily]:
    return {
        "outbox": GaugeMetricFamily(
            "afx_outbox_depth", "Queries written to the outbox and not yet handed to the broker."
        ),
        "outbox_age": GaugeMetricFamily(
            "afx_outbox_oldest_age_seconds", "Age of the oldest outbox message not yet relayed (0 when none)."
        ),
        "waiting": GaugeMetricFamily(
            "afx_queries_waiting",
            "Open queries (pending delivery or dispatched) waiting for their partner's answer.",
            labels=["partner", "status"],
        ),
        "overdue": GaugeMetricFamily(
            "afx_queries_overdue",
            "Open queries past their deadline that the expiry task has not yet closed.",
            labels=["partner"],
        ),
        "unsequenced": GaugeMetricFamily(
            "afx_audit_unsequenced_events",
            "Committed audit events the sequencer has not yet put in the tree.",
        ),
        "lag": GaugeMetricFamily(
            "afx_audit_sequencer_lag_seconds",
            "Age of the oldest committed audit event still waiting for the sequencer (0 when none).",
        ),
    }


class DatabaseCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        # Without it the registry would call collect(), and query the database, on registration.
        yield from _families().values()

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        families = _families()
        unrelayed = OutboxMessage.objects.filter(relayed_at__isnull=True).aggregate(
            depth=Count("id"), oldest=Min("created_at")
        )
        families["outbox"].add_metric([], unrelayed["depth"])
        oldest = unrelayed["oldest"]
        families["outbox_age"].add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        open_queries = Query.objects.filter(status__in=OPEN_QUERY_STATUSES)
        for row in open_queries.values("partner__code", "status").annotate(count=Count("id")):
            families["waiting"].add_metric([row["partner__code"], row["status"]], row["count"])
        overdue = open_queries.filter(deadline__lt=now)
        for row in overdue.values("partner__code").annotate(count=Count("id")):
            families["overdue"].add_metric([row["partner__code"]], row["count"])
        families["unsequenced"].add_metric([], UnsequencedEvent.objects.count())
        families["lag"].add_metric([], sequencer_lag_seconds())
        yield from families.values()


DATABASE_COLLECTOR = DatabaseCollector()
