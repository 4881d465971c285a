"""The centre's figures equal what the rows say, over a seeded month of traffic, in the
centres' own days (Asia/Shanghai); each unit reads its own, auditors every unit's."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from audit.models import AuditEvent
from core.errors import Forbidden, Invalid, NotFound
from exchange.choices import HoldKind, QueryStatus
from exchange.models import Hold, Query, Trace
from stats.selectors import centre_figures
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
KINDS = ("order_lookup", "stop_payment", "freeze", "number_block")
OUTCOMES = {
    "order_lookup": (),
    "stop_payment": ("stopped", "not_matched", "refused"),
    "freeze": ("frozen", "partially_frozen", "refused"),
    "number_block": ("blocked", "already_blocked", "refused"),
}
STATUSES = (
    QueryStatus.ANSWERED,
    QueryStatus.ANSWERED,
    QueryStatus.EXPIRED,
    QueryStatus.PENDING,
    QueryStatus.REFUSED,
)


def _seed(world: Any, count: int = 400) -> list[Query]:
    """Queries of both units from 31 October to 1 December (Shanghai), some on each side of a
    Shanghai midnight that is still the day before in UTC; holds and traces on some."""
    rng = random.Random(20261101)
    case_b = factories.case(world.officer_b, "B-0001")
    rows = []
    for i in range(count):
        case, officer = (world.case_a, world.officer_a) if i % 3 else (case_b, world.officer_b)
        day = date(2026, 10, 31) + timedelta(days=rng.randrange(32))
        # 00:00 to 00:59 Shanghai is 16:00 to 16:59 UTC the day before: the day is Shanghai's.
        minute = rng.choice([rng.randrange(60), rng.randrange(24 * 60)])
        created = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI) + timedelta(minutes=minute)
        status = rng.choice(STATUSES)
        answered = (
            created + timedelta(milliseconds=rng.randrange(50, 30_000)) if status == "answered" else None
        )
        kind = rng.choice(KINDS)
        outcome = rng.choice(OUTCOMES[kind]) if answered and OUTCOMES[kind] else ""
        rows.append(
            Query(
                case=case,
                kind=kind,
                outcome=outcome,
                partner=rng.choice([world.platform_x, world.bank]),
                requested_by=officer,
                subject_kind="account",
                subject=f"6222020000{i:06d}",
                status=status,
                created_at=created,
                deadline=created + timedelta(minutes=5),
                dispatched_at=created if status != QueryStatus.REFUSED else None,
                answered_at=answered,
            )
        )
    Query.objects.bulk_create(rows)
    for query in rows:
        if query.kind in ("stop_payment", "freeze") and query.answered_at is not None:
            Hold.objects.create(
                case=query.case,
                query=query,
                bank=world.bank,
                kind=HoldKind.STOP_PAYMENT if query.kind == "stop_payment" else HoldKind.FREEZE,
                account=query.subject,
                amount=Decimal(rng.randrange(100, 900_000)) / 100,
                started_at=query.answered_at,
                expires_at=query.answered_at + timedelta(hours=48),
            )
        if query.kind == "order_lookup" and rng.random() < 0.2:
            Trace.objects.create(
                case=query.case,
                started_by=query.requested_by,
                source_query=query,
                created_at=query.created_at,
                finished_at=query.answered_at,
            )
    return rows


def _in(moment: datetime, first: date, last: date) -> bool:
    return first <= moment.astimezone(SHANGHAI).date() <= last


def _rank(values: list[timedelta], p: float) -> int:
    ordered = sorted(values)
    return int(ordered[max(math.ceil(p * len(ordered)) - 1, 0)].total_seconds() * 1000)


def _expected(world: Any, rows: list[Query], unit: Any | None) -> dict[str, Any]:
    """The figures computed here, row by row, from what was seeded."""
    first, last = NOVEMBER
    mine = [q for q in rows if _in(q.created_at, first, last) and (unit is None or q.case.unit_id == unit.pk)]
    holds = [h for h in Hold.objects.select_related("case") if _in(h.started_at, first, last)]
    holds = [h for h in holds if unit is None or h.case.unit_id == unit.pk]
    traces = [t for t in Trace.objects.select_related("case") if _in(t.created_at, first, last)]
    traces = [t for t in traces if unit is None or t.case.unit_id == unit.pk]
    groups: dict[tuple[str, str], list[Query]] = {}
    for query in mine:
        groups.setdefault((query.partner.code, query.kind), []).append(query)
    times = []
    for (partner, kind), found in sorted(groups.items()):
        took = [q.answered_at - q.created_at for q in found if q.answered_at]
        times.append(
            {
                "partner": partner,
                "kind": kind,
                "answered": len(took),
                "p50_ms": _rank(took, 0.5) if took else 0,
                "p95_ms": _rank(took, 0.95) if took else 0,
                "deadline_breaches": sum(1 for q in found if q.status == QueryStatus.EXPIRED),
            }
        )

    def amount(kind: str) -> Decimal:
        return sum((h.amount for h in holds if h.kind == kind), Decimal("0")).quantize(Decimal("0.01"))

    sent = Counter(q.kind for q in mine if q.dispatched_at)
    outcomes = Counter((q.kind, q.outcome) for q in mine if q.outcome)
    return {
        "queries": sorted(Counter((q.kind, q.status) for q in mine).items()),
        "answer_times": times,
        "traces": (len(traces), sum(1 for t in traces if t.finished_at)),
        "stops": (
            sent["stop_payment"],
            sum(1 for h in holds if h.kind == HoldKind.STOP_PAYMENT),
            amount(HoldKind.STOP_PAYMENT),
        ),
        "freezes": (
            sent["freeze"],
            sum(1 for h in holds if h.kind == HoldKind.FREEZE),
            amount(HoldKind.FREEZE),
        ),
        "blocks": (
            sent["number_block"],
            sum(1 for q in mine if q.kind == "number_block" and q.status == "answered"),
            outcomes["number_block", "blocked"] + outcomes["number_block", "already_blocked"],
        ),
        "outcomes": sorted(outcomes.items()),
    }


def _read(figures: Any) -> dict[str, Any]:
    return {
        "queries": [((row["kind"], row["status"]), row["count"]) for row in figures.queries],
        "answer_times": [vars(times) for times in figures.answer_times],
        "traces": (figures.traces_started, figures.traces_finished),
        "stops": (figures.stop_payments_sent, figures.stops_made, figures.amount_stopped),
        "freezes": (figures.freezes_sent, figures.freezes_made, figures.amount_frozen),
        "blocks": (figures.number_blocks_sent, figures.number_blocks_answered, figures.numbers_blocked),
        "outcomes": [((row["kind"], row["outcome"]), row["count"]) for row in figures.outcomes],
    }


@pytest.fixture
def month(world: Any) -> list[Query]:
    rows = _seed(world)
    for query in rows:
        query.refresh_from_db(fields=["created_at", "answered_at"])
    return rows


def assert_figures_match(read: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal, but for percentiles: those come from buckets of 1 % (`stats.buckets`), so each
    is within 1 % (and half a millisecond's rounding) of the rows' nearest rank."""
    assert {k: v for k, v in read.items() if k != "answer_times"} == {
        k: v for k, v in expected.items() if k != "answer_times"
    }
    strip = ("p50_ms", "p95_ms")
    assert [{k: v for k, v in t.items() if k not in strip} for t in read["answer_times"]] == [
        {k: v for k, v in t.items() if k not in strip} for t in expected["answer_times"]
    ]
    for got, wanted in zip(read["answer_times"], expected["answer_times"], strict=True):
        for name in strip:
            assert abs(got[name] - wanted[name]) <= 0.01 * wanted[name] + 0.5, (got, wanted)


def test_every_units_figures_equal_the_rows(world: Any, month: list[Query]) -> None:
    expected = _expected(world, month, None)
    assert_figures_match(_read(centre_figures(world.auditor, *NOVEMBER)), expected)
    assert expected["answer_times"] and expected["stops"][1] and expected["traces"][0]  # worth comparing
    # The month's edges are Shanghai's midnights: the UTC date would move queries across them.
    moved = [q for q in month if q.created_at.date() != q.created_at.astimezone(SHANGHAI).date()]
    assert any(
        _in(q.created_at, *NOVEMBER) != (NOVEMBER[0] <= q.created_at.date() <= NOVEMBER[1]) for q in moved
    )


def test_a_unit_reads_its_own_figures_and_no_other(world: Any, month: list[Query]) -> None:
    assert_figures_match(
        _read(centre_figures(world.officer_a, *NOVEMBER)), _expected(world, month, world.unit_a)
    )
    assert_figures_match(
        _read(centre_figures(world.officer_b, *NOVEMBER)), _expected(world, month, world.unit_b)
    )
    assert_figures_match(
        _read(centre_figures(world.auditor, *NOVEMBER, world.unit_b.code)),
        _expected(world, month, world.unit_b),
    )
    with pytest.raises(NotFound):
        centre_figures(world.officer_a, *NOVEMBER, world.unit_b.code)
    with pytest.raises(NotFound):
        centre_figures(world.auditor, *NOVEMBER, "no-such-unit")
    with pytest.raises(Forbidden):
        centre_figures(world.operator_bank, *NOVEMBER)
    viewed = AuditEvent.objects.filter(action="stats_viewed").order_by("id")
    assert [e.details["unit"] for e in viewed] == [world.unit_a.code, world.unit_b.code, world.unit_b.code]


def test_a_range_backwards_or_over_a_year_is_refused(world: Any) -> None:
    with pytest.raises(Invalid):
        centre_figures(world.auditor, date(2026, 11, 30), date(2026, 11, 1))
    with pytest.raises(Invalid):
        centre_figures(world.auditor, date(2025, 1, 1), date(2026, 11, 1))


def test_the_api_reads_the_figures_and_refuses_bad_input_quoting_nothing(
    world: Any, month: list[Query]
) -> None:
    client = world.client("officer_a")
    body = client.get("/api/v1/stats/", {"from": "2026-11-01", "to": "2026-11-30"}).json()
    expected = _expected(world, month, world.unit_a)
    assert body["unit"] == world.unit_a.code
    assert sum(row["count"] for row in body["queries"]) == sum(count for _, count in expected["queries"])
    assert body["amount_stopped"] == str(expected["stops"][2])
    bad = client.get("/api/v1/stats/", {"from": "2026-13-45", "to": "x-evil-x"})
    assert bad.status_code == 400 and "evil" not in bad.content.decode()
    assert set(bad.json()["error"]) == {"code", "message", "fields"}
