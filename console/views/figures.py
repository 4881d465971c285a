"""The unit's figures as charts: order lookups per day, amounts stopped per day, and answer
times per partner (p50 and p95 against the kind's deadline).

The numbers are `GET /api/v1/stats/`'s, from the same selector (`stats.selectors.centre_figures_daily`,
which decides scope: police their unit's, auditors and administrators every unit's or one's
with `?unit=`): once for the whole range (answer times, totals) and once a day for the
series, each a reading recorded as the API's is. The charts are SVG drawn here, on the
server: no script, no style attribute (the shapes take the style sheet's classes), each with
a `<title>` and a table of the same numbers beside it for whoever cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.actors import acting_role
from core.roles import Role
from exchange.kinds import spec_for
from stats.selectors import AnswerTimes, Figures, centre_figures_daily

from ..access import POLICE, ConsoleView

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_DAYS = 7
# Each day of a series is one reading of the figures: a month at most on one page.
MAX_CHART_DAYS = 31
ORDER_LOOKUP = "order_lookup"

# The drawing's frame, in SVG user units (the style sheet scales it to the page's width).
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
# Answer times are drawn as shares of the deadline, up to twice it (longer bars are cut).
TIMES_MAX_SHARE = 2.0
TIMES_ROW = 44


class FiguresForm(forms.Form):
    """The range (`from`, `to`: Asia/Shanghai days, both included) and, for auditors and
    administrators, a unit's code. Dates and codes name nobody, so they travel by GET."""

    to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False)
    unit = forms.SlugField(label=_("Unit"), required=False, max_length=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(label=pgettext_lazy("date range", "From"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.now().astimezone(SHANGHAI).date()
        last = data.get("to") or today
        first = data.get("from") or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise forms.ValidationError(_("The first day comes after the last."))
        if (last - first).days >= MAX_CHART_DAYS:
            raise forms.ValidationError(_("At most %(days)d days on one page.") % {"days": MAX_CHART_DAYS})
        data["first"], data["last"] = first, last
        return data


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int
    shown: str  # the value as the table and the bar's title show it
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    """A column per day: positions in SVG units, ready for `_chart_bars.html`."""

    id: str
    title: str
    bars: list[Bar]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: float = HEIGHT - BOTTOM


def bar_chart(chart_id: str, title: str, points: list[tuple[str, Decimal | int, str]]) -> BarChart:
    """Columns for `(label, value, shown)` points, on a scale from 0 to the largest value
    (at least 1), with ticks at 0, half and the top."""
    top = max([float(value) for _, value, _ in points] + [1.0])
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    bars = []
    for index, (label, value, shown) in enumerate(points):
        height = plot_height * float(value) / top
        bars.append(
            Bar(
                label=label,
                value=value,
                shown=shown,
                x=round(LEFT + index * slot + slot * 0.15, 1),
                y=round(TOP + plot_height - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
            )
        )
    ticks = [
        Tick(y=round(TOP + plot_height * (1 - share), 1), label=_tick(top * share)) for share in (0, 0.5, 1)
    ]
    return BarChart(id=chart_id, title=title, bars=bars, ticks=ticks)


def _tick(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


@dataclass(frozen=True)
class TimesRow:
    """One partner and kind: its answer times in ms, its deadline, and the bars' widths as
    shares of the deadline (cut at `TIMES_MAX_SHARE`)."""

    times: AnswerTimes
    deadline_ms: int
    y: float
    p50_width: float
    p95_width: float
    over: bool  # p95 beyond the deadline


@dataclass(frozen=True)
class TimesChart:
    id: str
    title: str
    rows: list[TimesRow]
    deadline_x: float
    width: int = WIDTH
    height: int = 0
    left: int = LEFT + 96


def times_chart(chart_id: str, title: str, answer_times: list[AnswerTimes]) -> TimesChart:
    """Per partner and kind, p50 and p95 as bars measured against the kind's deadline (the
    line at 100 %), the kind's default deadline being what a query gets unless it asks less."""
    left = LEFT + 96
    plot_width = WIDTH - left - RIGHT
    rows: list[TimesRow] = []
    for times in answer_times:
        spec = spec_for(times.kind)
        if spec is None or not times.answered:
            continue
        deadline_ms = int(spec.default_deadline.total_seconds() * 1000)

        def width(ms: int, deadline: int = deadline_ms) -> float:
            return round(plot_width * min(ms / deadline, TIMES_MAX_SHARE) / TIMES_MAX_SHARE, 1)

        rows.append(
            TimesRow(
                times=times,
                deadline_ms=deadline_ms,
                y=TOP + len(rows) * TIMES_ROW,
                p50_width=width(times.p50_ms),
                p95_width=width(times.p95_ms),
                over=times.p95_ms > deadline_ms,
            )
        )
    return TimesChart(
        id=chart_id,
        title=title,
        rows=rows,
        deadline_x=round(left + plot_width / TIMES_MAX_SHARE, 1),
        height=TOP + max(len(rows), 1) * TIMES_ROW + BOTTOM,
        left=left,
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _lookups(figures: Figures) -> int:
    return sum(row["count"] for row in figures.queries if row["kind"] == ORDER_LOOKUP)


class FiguresView(ConsoleView):
    """`GET` the figures of a range (default: the last seven days, today included) as charts
    and tables; a bad range is the form's error (400)."""

    allowed_roles = POLICE | {Role.AUDITOR, Role.ADMINISTRATOR}

    def get(self, request: HttpRequest) -> HttpResponse:
        form = FiguresForm(request.GET)
        if not form.is_valid():
            return render(request, "console/figures.html", {"form": form}, status=400)
        first, last, unit = form.cleaned_data["first"], form.cleaned_data["last"], form.cleaned_data["unit"]
        whole, each_day = centre_figures_daily(self.person, first, last, unit or None)
        daily = list(zip(_days(first, last), each_day, strict=True))
        lookups = bar_chart(
            "lookups",
            str(_("Order lookups per day")),
            [(day.strftime("%m-%d"), _lookups(f), f"{_lookups(f):,}") for day, f in daily],
        )
        stopped = bar_chart(
            "stopped",
            str(_("Amount stopped per day (yuan)")),
            [(day.strftime("%m-%d"), f.amount_stopped, f"¥{f.amount_stopped:,.2f}") for day, f in daily],
        )
        times = times_chart(
            "times", str(_("Answer times per partner, against the deadline")), whole.answer_times
        )
        context = {
            "form": form,
            "first": first,
            "last": last,
            "figures": whole,
            "lookups": lookups,
            "stopped": stopped,
            "times": times,
            "all_units": acting_role(self.person) in (Role.AUDITOR, Role.ADMINISTRATOR),
        }
        return render(request, "console/figures.html", context)
