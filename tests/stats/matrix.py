"""The figures' row of the API permission matrix."""

from tests.permission_matrix import Row, every

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}

ROWS: list[Row] = [
    Row(
        "stats",
        "GET",
        "/api/v1/stats/",
        every(
            403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=200, auditor=200, administrator=200
        ),
        query=NOVEMBER,
    ),
]
