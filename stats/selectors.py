"""The centre's figures over a time range, computed by grouped aggregate queries in the
database (counts, sums, percentiles), never by loading the rows they count.

A range is given in the centres' own days (Asia/Shanghai, `CENTRE_TIME_ZONE`): from the start
of its first day to the end of its last, whatever time zone the server runs in. Police read
their own unit's figures; auditors and administrators read every unit's, or one unit's.
Answer times are nearest-rank percentiles of created-to-answered, per partner and kind: on
PostgreSQL one `percentile_disc` per group, on the embedded SQLite the rank's row per group
(SQLite has no percentile aggregate; its data is a demo's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum

from audit.denials import denial_record
from audit.services import event_record
from core.actors import Actor, acting_role
from core.errors import Forbidden, Invalid, NotFound
from core.roles import POLICE_ROLES, Role
from exchange.choices import ANSWER_STATUSES, HoldKind, QueryStatus
from exchange.models import Hold, Query, Trace
from partners.choices import PartnerKind
from partners.models import Partner

from .audit_actions import StatsAction

CENTRE_TIME_ZONE = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366
PERCENTILES = (0.5, 0.95)
ALL_UNITS_ROLES = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class AnswerTimes:
    partner: str
    kind: str
    answered: int
    p50_ms: int
    p95_ms: int
    deadline_breaches: int


@dataclass(frozen=True)
class Figures:
    first_day: date
    last_day: date
    unit: str | None  # None: every unit
    queries: list[dict[str, Any]]  # kind, status, count
    answer_times: list[AnswerTimes]
    traces_started: int
    traces_finished: int
    stop_payments_sent: int
    stops_made: int
    amount_stopped: Decimal
    freezes_sent: int
    freezes_made: int
    amount_frozen: Decimal
    number_blocks_sent: int
    number_blocks_answered: int


def centre_figures(actor: Actor, first_day: date, last_day: date, unit_code: str | None = None) -> Figures:
    """The figures of the actor's unit (police), or of every unit or `unit_code`'s (auditors,
    administrators), for the days from `first_day` to `last_day`, both included; the reading
    is recorded. Another unit asked by police is `NotFound`, like a unit that does not exist."""
    if not first_day <= last_day or (last_day - first_day).days >= MAX_DAYS:
        raise Invalid("The range is not valid.", fields={"to": [f"From `from`, at most {MAX_DAYS} days."]})
    unit = _unit_in_scope(actor, unit_code)
    start, end = _instants(first_day, last_day)
    queries = Query.objects.filter(created_at__gte=start, created_at__lt=end)
    traces = Trace.objects.filter(created_at__gte=start, created_at__lt=end)
    holds = Hold.objects.filter(started_at__gte=start, started_at__lt=end)
    if unit is not None:
        queries = queries.filter(case__unit_id=unit.pk)
        traces = traces.filter(case__unit_id=unit.pk)
        holds = holds.filter(case__unit_id=unit.pk)
    # One pass over the range's queries: counted by partner, kind and status.
    grouped = list(
        queries.values("partner_id", "kind", "status")
        .annotate(count=Count("pk"), sent=Count("pk", filter=Q(dispatched_at__isnull=False)))
        .order_by()
    )
    counts = _by_kind_and_status(grouped)
    held = {
        row["kind"]: row
        for row in holds.values("kind").annotate(made=Count("pk"), total=Sum("amount")).order_by()
    }
    traced = traces.aggregate(started=Count("pk"), finished=Count("pk", filter=Q(finished_at__isnull=False)))

    def sent(kind: str) -> int:
        return sum(row["sent"] for row in counts if row["kind"] == kind)

    def made(kind: str) -> tuple[int, Decimal]:
        row = held.get(kind, {"made": 0, "total": None})
        return row["made"], (row["total"] or Decimal("0")).quantize(Decimal("0.01"))

    figures = Figures(
        first_day=first_day,
        last_day=last_day,
        unit=unit.code if unit else None,
        queries=[{"kind": row["kind"], "status": row["status"], "count": row["count"]} for row in counts],
        answer_times=_answer_times(queries, grouped),
        traces_started=traced["started"],
        traces_finished=traced["finished"],
        stop_payments_sent=sent("stop_payment"),
        stops_made=made(HoldKind.STOP_PAYMENT)[0],
        amount_stopped=made(HoldKind.STOP_PAYMENT)[1],
        freezes_sent=sent("freeze"),
        freezes_made=made(HoldKind.FREEZE)[0],
        amount_frozen=made(HoldKind.FREEZE)[1],
        number_blocks_sent=sent("number_block"),
        number_blocks_answered=sum(
            row["count"]
            for row in counts
            if row["kind"] == "number_block" and row["status"] == QueryStatus.ANSWERED
        ),
    )
    event_record(
        actor=actor,
        action=StatsAction.STATS_VIEWED,
        details={"unit": figures.unit or "*", "from": first_day.isoformat(), "to": last_day.isoformat()},
    )
    return figures


def _unit_in_scope(actor: Actor, unit_code: str | None) -> Partner | None:
    role = acting_role(actor)
    if role in POLICE_ROLES:
        own: Partner = actor.partner
        if unit_code not in (None, own.code):
            denial_record(actor=actor, details={"status": 404, "code": "not_found", "reason": "out_of_scope"})
            raise NotFound("Not found.")
        return own
    if role in ALL_UNITS_ROLES:
        if unit_code is None:
            return None
        found = Partner.objects.filter(code=unit_code, kind=PartnerKind.POLICE_UNIT).first()
        if found is None:
            denial_record(actor=actor, details={"status": 404, "code": "not_found", "reason": "missing"})
            raise NotFound("Not found.")
        return found
    denial_record(actor=actor, details={"status": 403, "code": Forbidden.code, "reason": "role"})
    refusal = Forbidden("Only police, auditors and administrators read the figures.")
    refusal.audited = True
    raise refusal


def _instants(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The range's first and one-past-last instants, in the centres' days."""
    start = datetime.combine(first_day, time.min, tzinfo=CENTRE_TIME_ZONE)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=CENTRE_TIME_ZONE)
    return start, end


ANSWER_TIME = ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField())


def _by_kind_and_status(grouped: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for row in grouped:
        total = totals.setdefault(
            (row["kind"], row["status"]),
            {"kind": row["kind"], "status": row["status"], "count": 0, "sent": 0},
        )
        total["count"] += row["count"]
        total["sent"] += row["sent"]
    return [totals[key] for key in sorted(totals)]


def _answer_times(queries: QuerySet[Query], grouped: list[dict[str, Any]]) -> list[AnswerTimes]:
    """Per partner and kind: answered, the answer time's p50/p95, and the deadline breaches,
    from the grouped counts and one percentile pass over the answered queries."""
    groups: dict[tuple[int, str], dict[str, int]] = {}
    for row in grouped:
        group = groups.setdefault((row["partner_id"], row["kind"]), {"answered": 0, "breaches": 0})
        if row["status"] in ANSWER_STATUSES:
            group["answered"] += row["count"]
        elif row["status"] == QueryStatus.EXPIRED:
            group["breaches"] += row["count"]
    codes = dict(Partner.objects.filter(pk__in={key[0] for key in groups}).values_list("pk", "code"))
    answered = queries.filter(status__in=ANSWER_STATUSES, answered_at__isnull=False)
    ranks = _ranks_postgresql(answered) if connection.vendor == "postgresql" else None
    found = []
    for (partner_id, kind), group in groups.items():
        if ranks is not None:
            p50, p95 = ranks.get((partner_id, kind), (timedelta(0), timedelta(0)))
        else:
            p50, p95 = _ranks_by_row(answered.filter(partner_id=partner_id, kind=kind), group["answered"])
        found.append(
            AnswerTimes(
                partner=codes[partner_id],
                kind=kind,
                answered=group["answered"],
                p50_ms=_ms(p50),
                p95_ms=_ms(p95),
                deadline_breaches=group["breaches"],
            )
        )
    return sorted(found, key=lambda times: (times.partner, times.kind))


class _PercentilesDisc(Aggregate):
    """`percentile_disc(ARRAY[...]) WITHIN GROUP (ORDER BY expr)`: PostgreSQL's nearest-rank
    percentiles of a group, all in one pass; an array of intervals."""

    function = "percentile_disc"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fractions: tuple[float, ...]) -> None:
        super().__init__(
            expression,
            fractions=", ".join(repr(f) for f in fractions),
            output_field=ArrayField(DurationField()),
        )


def _ranks_postgresql(answered: QuerySet[Query]) -> dict[tuple[int, str], tuple[timedelta, timedelta]]:
    rows = (
        answered.values("partner_id", "kind")
        .annotate(ranks=_PercentilesDisc(ANSWER_TIME, PERCENTILES))
        .order_by()
    )
    return {(row["partner_id"], row["kind"]): (row["ranks"][0], row["ranks"][1]) for row in rows}


def _ranks_by_row(answered: QuerySet[Query], count: int) -> tuple[timedelta, timedelta]:
    """The nearest-rank percentiles of one group: the row at each rank, in answer-time order."""
    if count == 0:
        return timedelta(0), timedelta(0)
    ordered = answered.annotate(took=ANSWER_TIME).order_by("took").values_list("took", flat=True)
    p50, p95 = (ordered[max(math.ceil(p * count) - 1, 0)] for p in PERCENTILES)
    return p50, p95


def _ms(duration: timedelta | None) -> int:
    return int(duration.total_seconds() * 1000) if duration is not None else 0
