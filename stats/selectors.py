"""The centre's figures over a time range, computed by grouped aggregate queries in the
database (counts, sums), never by loading the rows they count.

A range is given in the centres' own days (Asia/Shanghai): from the start of its first day
to the end of its last, whatever time zone the server runs in. Police read their own unit's
figures; auditors and administrators read every unit's, or one unit's. The queries of
settled days are read from their daily roll-up (`stats.rollup`), the others' from the
queries themselves, by the same tallies. Answer times are nearest-rank percentiles of
created-to-answered per partner and kind, merged from buckets 2 % wide, so within 1 % of
the exact rank (`stats.buckets`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from audit.denials import denial_record
from audit.services import event_record
from core.actors import Actor, acting_role
from core.errors import Invalid, NotFound
from core.roles import POLICE_ROLES, Role
from exchange.access import roles_only
from exchange.choices import ANSWER_STATUSES, HoldKind, QueryStatus
from exchange.kinds.number_block.schemas import BlockOutcome
from exchange.models import Hold, Query, Trace
from partners.choices import PartnerKind
from partners.models import Partner
from watchlist.figures import WatchlistFigures, watchlist_figures

from .audit_actions import StatsAction
from .buckets import merged, percentiles
from .models import DayFigures, RolledDay
from .rollup import day_instants
from .tallies import Key, Tally, tallies

MAX_DAYS = 366
PERCENTILES = (0.5, 0.95)
ALL_UNITS_ROLES = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
READERS = POLICE_ROLES | ALL_UNITS_ROLES
BLOCKED = frozenset({BlockOutcome.BLOCKED, BlockOutcome.ALREADY_BLOCKED})


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
    numbers_blocked: int  # answered blocked, or blocked already
    outcomes: list[dict[str, Any]]  # kind, outcome, count
    watchlist: WatchlistFigures


def centre_figures(actor: Actor, first_day: date, last_day: date, unit_code: str | None = None) -> Figures:
    """The figures of the actor's unit (police), or of every unit or `unit_code`'s (auditors,
    administrators), for the days from `first_day` to `last_day`, both included; the reading
    is recorded. Another unit asked by police is `NotFound`, like a unit that does not exist."""
    unit = _range_in_scope(actor, first_day, last_day, unit_code)
    figures = _figures(unit, first_day, last_day)
    _viewed(actor, figures)
    return figures


def centre_figures_daily(
    actor: Actor, first_day: date, last_day: date, unit_code: str | None = None
) -> tuple[Figures, list[Figures]]:
    """`centre_figures` of the range, and of each of its days (the console's charts): the
    same scope and refusals, one reading recorded for the whole (`daily`), not one a day."""
    unit = _range_in_scope(actor, first_day, last_day, unit_code)
    whole = _figures(unit, first_day, last_day)
    days = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    daily = [_figures(unit, day, day) for day in days]
    _viewed(actor, whole, daily=True)
    return whole, daily


def _range_in_scope(actor: Actor, first_day: date, last_day: date, unit_code: str | None) -> Partner | None:
    if not first_day <= last_day or (last_day - first_day).days >= MAX_DAYS:
        raise Invalid("The range is not valid.", fields={"to": [f"From `from`, at most {MAX_DAYS} days."]})
    return _unit_in_scope(actor, unit_code)


def _viewed(actor: Actor, figures: Figures, *, daily: bool = False) -> None:
    details = {
        "unit": figures.unit or "*",
        "from": figures.first_day.isoformat(),
        "to": figures.last_day.isoformat(),
    }
    event_record(
        actor=actor, action=StatsAction.STATS_VIEWED, details=details | ({"daily": True} if daily else {})
    )


def _figures(unit: Partner | None, first_day: date, last_day: date) -> Figures:
    start, end = day_instants(first_day, last_day)
    traces = Trace.objects.filter(created_at__gte=start, created_at__lt=end)
    holds = Hold.objects.filter(started_at__gte=start, started_at__lt=end)
    if unit is not None:
        traces = traces.filter(case__unit_id=unit.pk)
        holds = holds.filter(case__unit_id=unit.pk)
    counted = _query_tallies(first_day, last_day, unit)
    counts = _by_kind_and_status(counted)
    outcomes = _outcomes(counted)
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

    return Figures(
        first_day=first_day,
        last_day=last_day,
        unit=unit.code if unit else None,
        queries=[{"kind": row["kind"], "status": row["status"], "count": row["count"]} for row in counts],
        answer_times=_answer_times(counted),
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
        numbers_blocked=sum(
            row["count"] for row in outcomes if row["kind"] == "number_block" and row["outcome"] in BLOCKED
        ),
        outcomes=outcomes,
        watchlist=watchlist_figures(start, end, unit.pk if unit else None),
    )


def _query_tallies(first_day: date, last_day: date, unit: Partner | None) -> dict[Key, Tally]:
    """The range's queries counted: the rolled-up days from their rows, the others (today's,
    the last settling ones) from the queries, by the same tallies."""
    rolled = dict(RolledDay.objects.filter(day__gte=first_day, day__lte=last_day).values_list("day", "pk"))
    rows = DayFigures.objects.filter(rolled_id__in=rolled.values())
    live = Q()
    for first, last in _runs(first_day, last_day, set(rolled)):
        start, end = day_instants(first, last)
        live |= Q(created_at__gte=start, created_at__lt=end)
    queries = Query.objects.filter(live) if live else Query.objects.none()
    if unit is not None:
        rows = rows.filter(unit_id=unit.pk)
        queries = queries.filter(case__unit_id=unit.pk)
    found = tallies(queries) if live else {}
    fields = ("unit_id", "partner_id", "kind", "status", "outcome", "count", "sent", "answer_buckets")
    for *key, count, sent, histogram in rows.values_list(*fields):
        tally = Tally(count=count, sent=sent, buckets=merged([histogram]))
        found.setdefault((key[0], key[1], key[2], key[3], key[4]), Tally()).add(tally)
    return found


def _runs(first_day: date, last_day: date, rolled: set[date]) -> list[tuple[date, date]]:
    """The runs of consecutive days of the range that are not rolled up."""
    runs: list[tuple[date, date]] = []
    day = first_day
    while day <= last_day:
        if day not in rolled:
            if runs and runs[-1][1] == day - timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += timedelta(days=1)
    return runs


def _unit_in_scope(actor: Actor, unit_code: str | None) -> Partner | None:
    roles_only(actor, READERS, "Only police, auditors and administrators read the figures.")
    if acting_role(actor) in POLICE_ROLES:
        own: Partner = actor.partner
        if unit_code not in (None, own.code):
            denial_record(actor=actor, details={"status": 404, "code": "not_found", "reason": "out_of_scope"})
            raise NotFound("Not found.")
        return own
    if unit_code is None:
        return None
    found = Partner.objects.filter(code=unit_code, kind=PartnerKind.POLICE_UNIT).first()
    if found is None:
        denial_record(actor=actor, details={"status": 404, "code": "not_found", "reason": "missing"})
        raise NotFound("Not found.")
    return found


def _by_kind_and_status(counted: dict[Key, Tally]) -> list[dict[str, Any]]:
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for (_unit, _partner, kind, status, _outcome), tally in counted.items():
        total = totals.setdefault((kind, status), {"kind": kind, "status": status, "count": 0, "sent": 0})
        total["count"] += tally.count
        total["sent"] += tally.sent
    return [totals[key] for key in sorted(totals)]


def _outcomes(counted: dict[Key, Tally]) -> list[dict[str, Any]]:
    """Answered queries per kind and outcome, for the kinds whose answers have one."""
    totals: Counter[tuple[str, str]] = Counter()
    for (_unit, _partner, kind, status, outcome), tally in counted.items():
        if outcome and status in ANSWER_STATUSES:
            totals[(kind, outcome)] += tally.count
    return [
        {"kind": kind, "outcome": outcome, "count": totals[kind, outcome]} for kind, outcome in sorted(totals)
    ]


def _answer_times(counted: dict[Key, Tally]) -> list[AnswerTimes]:
    """Per partner and kind: answered, the answer time's p50/p95 (merged buckets, to 1 %),
    and the deadline breaches (queries that expired unanswered)."""
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for (_unit, partner_id, kind, status, _outcome), tally in counted.items():
        group = groups.setdefault((partner_id, kind), {"answered": 0, "breaches": 0, "buckets": Counter()})
        if status in ANSWER_STATUSES:
            group["answered"] += tally.count
            group["buckets"].update(tally.buckets)
        elif status == QueryStatus.EXPIRED:
            group["breaches"] += tally.count
    codes = dict(Partner.objects.filter(pk__in={key[0] for key in groups}).values_list("pk", "code"))
    found = []
    for (partner_id, kind), group in groups.items():
        p50, p95 = percentiles(group["buckets"], PERCENTILES)
        found.append(
            AnswerTimes(
                partner=codes[partner_id],
                kind=kind,
                answered=group["answered"],
                p50_ms=p50,
                p95_ms=p95,
                deadline_breaches=group["breaches"],
            )
        )
    return sorted(found, key=lambda times: (times.partner, times.kind))
