"""The unit's figures as charts: the same numbers as `GET /api/v1/stats/`, drawn as SVG on
the server (no script, no style attribute) with a table of the same numbers beside each."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from audit.models import AuditEvent
from console.views.figures import SHANGHAI, bar_chart, times_chart
from exchange.models import Hold
from stats.audit_actions import StatsAction
from stats.selectors import AnswerTimes
from tests.console.conftest import answer
from tests.console.test_dashboard import english, stop_query


def test_the_figures_page_draws_three_charts_each_with_its_table(world):
    answer(world, world.query_a)
    Hold.objects.create(
        case=world.case_a,
        query=stop_query(world, world.case_a),
        bank=world.bank,
        kind="stop_payment",
        account="6222020200556677889",
        amount=Decimal("1234.50"),
        started_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=48),
    )
    response = english(world.officer_a).get("/console/figures/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<svg class="chart-svg"') == 3 and page.count('role="img"') == 3
    for chart in ("lookups", "times", "stopped"):
        assert f'aria-labelledby="{chart}-title"' in page and f'<title id="{chart}-title">' in page
    assert " style=" not in page and "<script>" not in page
    # Seven days, today last: one lookup today, none before.
    lookups = page[page.index('data-testid="chart-lookups"') : page.index('data-testid="chart-times"')]
    assert lookups.count('data-testid="chart-bar"') == 7
    today = timezone.now().astimezone(SHANGHAI).strftime("%m-%d")
    assert f"<title>{today}: 1</title>" in lookups
    assert re.search(rf"<th scope=\"row\">{today}</th><td class=\"num\">1</td>", lookups)
    # The answer time of platform X's lookup, against the order lookup's 30 s deadline.
    times = re.findall(r'<tr data-testid="times-row">(.*?)</tr>', page, re.S)
    (lookup_times,) = [row for row in times if world.platform_x.code in row]
    assert "Order lookup" in lookup_times and '<td class="num">30000</td>' in lookup_times
    stopped = page[page.index('data-testid="chart-stopped"') :]
    assert f"{today}: ¥1,234.50" in stopped
    assert 'data-testid="figures-stopped">¥1,234.50<' in page
    # One reading of the range and its days, recorded as the API's are, marked daily.
    (viewed,) = AuditEvent.objects.filter(action=StatsAction.STATS_VIEWED)
    assert viewed.details["daily"] is True and viewed.details["unit"] == world.unit_a.code


def test_a_bad_range_is_the_forms_error(world):
    client = english(world.officer_a)
    backwards = client.get("/console/figures/", {"from": "2026-12-02", "to": "2026-12-01"})
    assert (
        backwards.status_code == 400 and "The first day comes after the last." in backwards.content.decode()
    )
    too_long = client.get("/console/figures/", {"from": "2026-01-01", "to": "2026-03-01"})
    assert too_long.status_code == 400 and "At most 31 days" in too_long.content.decode()
    assert client.get("/console/figures/", {"from": "not a day"}).status_code == 400


def test_police_read_their_own_unit_only_auditors_any(world):
    assert english(world.officer_a).get("/console/figures/", {"unit": world.unit_b.code}).status_code == 404
    auditor = english(world.auditor)
    assert auditor.get("/console/figures/", {"unit": world.unit_b.code}).status_code == 200
    assert auditor.get("/console/figures/").status_code == 200
    assert auditor.get("/console/figures/", {"unit": "no-such-unit"}).status_code == 404


def test_a_bar_is_as_tall_as_its_share_of_the_largest():
    chart = bar_chart("c", "t", [("a", 0, "0"), ("b", 5, "5"), ("c", 10, "10")])
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[2] == 2 * heights[1] > 0
    assert chart.bars[2].y + chart.bars[2].height == chart.base
    assert [tick.label for tick in chart.ticks] == ["0", "5", "10"]


def test_answer_times_are_drawn_as_shares_of_the_deadline_cut_at_twice_it():
    rows = [
        AnswerTimes("fast", "order_lookup", 10, 3_000, 15_000, 0),
        AnswerTimes("slow", "order_lookup", 10, 30_000, 90_000, 2),
        AnswerTimes("gone", "no_such_kind", 10, 1, 1, 0),
    ]
    chart = times_chart("t", "t", rows)
    fast, slow = chart.rows
    assert fast.deadline_ms == 30_000 and not fast.over and slow.over
    assert chart.left + slow.p50_width == chart.deadline_x  # p50 at the deadline: on its line
    assert slow.p95_width == 2 * slow.p50_width  # 3x the deadline, cut at 2x
    assert fast.p95_width == slow.p50_width / 2
