"""The figures' rows of the service matrix."""

from datetime import date

from stats.selectors import centre_figures, centre_figures_daily
from tests.service_matrix import ServiceRow, every

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)
READERS = {"officer_a": "ok", "supervisor_a": "ok", "officer_b": "ok", "auditor": "ok", "administrator": "ok"}

ROWS: list[ServiceRow] = [
    ServiceRow(
        "stats.selectors.centre_figures",
        lambda w, a: centre_figures(a, FIRST, LAST),
        every("forbidden", **READERS),
    ),
    ServiceRow(
        "stats.selectors.centre_figures",
        lambda w, a: centre_figures(a, FIRST, LAST, w.unit_b.code),
        every("forbidden", **{**READERS, "officer_a": "not_found", "supervisor_a": "not_found"}),
        variant="another unit's",
    ),
    ServiceRow(
        "stats.selectors.centre_figures_daily",
        lambda w, a: centre_figures_daily(a, FIRST, LAST),
        every("forbidden", **READERS),
    ),
    ServiceRow(
        "stats.selectors.centre_figures_daily",
        lambda w, a: centre_figures_daily(a, FIRST, LAST, w.unit_b.code),
        every("forbidden", **{**READERS, "officer_a": "not_found", "supervisor_a": "not_found"}),
        variant="another unit's",
    ),
]
