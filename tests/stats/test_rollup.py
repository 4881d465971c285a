"""Settled days rolled up give the same figures as the queries they count; a day whose
queries change after its roll-up is rolled up again; days still settling are read live."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from exchange.choices import QueryStatus
from exchange.models import Query
from stats import buckets
from stats.models import DayFigures, RolledDay
from stats.rollup import SETTLED_AFTER, day_roll_up, days_roll_up, last_settled_day
from stats.selectors import centre_figures
from tests.stats.test_figures import NOVEMBER, SHANGHAI, _expected, _read, _seed, assert_figures_match

# Three days after November ends in Shanghai: every day of the seeded month has settled.
AFTER_THE_MONTH = datetime(2026, 12, 3, 12, tzinfo=SHANGHAI)


@pytest.fixture
def month(world: Any) -> list[Query]:
    rows = _seed(world)
    for query in rows:
        query.refresh_from_db(fields=["created_at", "answered_at"])
    return rows


def test_rolled_up_figures_equal_the_live_ones_and_the_rows(world: Any, month: list[Query]) -> None:
    live = {who: _read(centre_figures(getattr(world, who), *NOVEMBER)) for who in ("auditor", "officer_a")}
    rolled = days_roll_up(now=AFTER_THE_MONTH)
    # 31 October to 30 November (Shanghai): 1 December ended less than two days before.
    assert rolled == RolledDay.objects.count() == 31
    assert DayFigures.objects.exists()
    for who, figures in live.items():
        # Exactly equal, percentiles too: the live days are bucketed as a roll-up is.
        assert _read(centre_figures(getattr(world, who), *NOVEMBER)) == figures
    assert_figures_match(live["auditor"], _expected(world, month, None))
    assert days_roll_up(now=AFTER_THE_MONTH) == 0  # nothing changed: nothing rolled again


def test_a_range_half_rolled_up_reads_the_rest_live(world: Any, month: list[Query]) -> None:
    before = _read(centre_figures(world.officer_b, *NOVEMBER))
    # Settled up to 14 November: the rest of the month is read from the queries.
    now = datetime(2026, 11, 15, tzinfo=SHANGHAI) + SETTLED_AFTER
    assert last_settled_day(now) == date(2026, 11, 14)
    days_roll_up(now=now)
    assert max(RolledDay.objects.values_list("day", flat=True)) == date(2026, 11, 14)
    assert _read(centre_figures(world.officer_b, *NOVEMBER)) == before
    assert_figures_match(before, _expected(world, month, world.unit_b))


def test_a_day_changed_after_its_roll_up_is_rolled_up_again(world: Any, month: list[Query]) -> None:
    days_roll_up(now=AFTER_THE_MONTH - timedelta(days=1))
    expired = next(
        q
        for q in month
        if q.status == QueryStatus.EXPIRED and q.created_at.astimezone(SHANGHAI).date() == date(2026, 11, 20)
    )
    day = RolledDay.objects.get(day=date(2026, 11, 20))
    untouched = RolledDay.objects.get(day=date(2026, 11, 21))
    # A bank answers the expired stop-payment late, after the day was rolled up.
    Query.objects.filter(pk=expired.pk).update(status=QueryStatus.ANSWERED, answered_at=timezone.now())
    assert days_roll_up(now=AFTER_THE_MONTH) >= 1
    assert RolledDay.objects.get(day=date(2026, 11, 20)).rolled_at > day.rolled_at
    assert RolledDay.objects.get(day=date(2026, 11, 21)).rolled_at == untouched.rolled_at
    expired.status, expired.answered_at = QueryStatus.ANSWERED, Query.objects.get(pk=expired.pk).answered_at
    assert_figures_match(_read(centre_figures(world.auditor, *NOVEMBER)), _expected(world, month, None))


def test_bucketed_percentiles_are_within_one_percent_of_the_exact_rank() -> None:
    rng = random.Random(11)
    for _ in range(200):
        times = [int(rng.expovariate(1 / rng.choice([5, 300, 4000]))) for _ in range(rng.randrange(1, 400))]
        histogram = buckets.merged([{buckets.bucket(ms): 1} for ms in times])
        ordered = sorted(times)
        for fraction, got in zip((0.5, 0.95), buckets.percentiles(histogram, (0.5, 0.95)), strict=True):
            exact = ordered[max(math.ceil(len(ordered) * fraction), 1) - 1]
            assert abs(got - exact) <= 0.01 * exact + 0.5, (fraction, got, exact)
    assert buckets.percentiles({}, (0.5,)) == [0]
    assert [buckets.bucket_value(buckets.bucket(ms)) for ms in range(50)] == list(range(50))


def test_a_change_stamped_before_the_roll_up_and_committed_after_it_is_seen(
    world: Any, month: list[Query]
) -> None:
    # An answer takes its time, then the roll-up reads (without it: not committed yet), then
    # the answer commits: its time is earlier than the roll-up's start.
    expired = next(
        q
        for q in month
        if q.status == QueryStatus.EXPIRED and q.created_at.astimezone(SHANGHAI).date() == date(2026, 11, 20)
    )
    taken = timezone.now()
    day_roll_up(date(2026, 11, 20))
    Query.objects.filter(pk=expired.pk).update(status=QueryStatus.ANSWERED, answered_at=taken)
    assert days_roll_up(now=AFTER_THE_MONTH) >= 1  # the day is rolled up again
    expired.status, expired.answered_at = QueryStatus.ANSWERED, taken
    assert_figures_match(_read(centre_figures(world.auditor, *NOVEMBER)), _expected(world, month, None))
