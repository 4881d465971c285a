"""Permission-matrix rows of the traces endpoints.

Reading and exporting need a trace, which the world does not hold: their paths are made when
the row runs (`_TracePath`), by starting one in unit A's case as its officer, with a grant to
the world's bank, so the matrix proves who reaches a real trace, not a missing one.
"""

from __future__ import annotations

from typing import Any

from exchange.services.traces import TraceRequest, trace_start
from tests import factories
from tests.conftest import BANK_BIN
from tests.permission_matrix import Row, every

READERS = every(403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=404, auditor=200)
START_ACCOUNT = f"{BANK_BIN}0000000001"


class _TracePath(str):
    """A path naming a trace started when the row runs (`Row.path.format(world=...)`)."""

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        world = kwargs["world"]
        factories.grant(world.unit_a, world.bank, "account_transfers")
        trace = trace_start(
            actor=world.officer_a, request=TraceRequest(case_id=world.case_a.pk, account_number=START_ACCOUNT)
        )
        return str.format(self, trace=trace)


ROWS: list[Row] = [
    Row(
        "trace-start",
        "POST",
        "/api/v1/cases/{world.case_a.pk}/traces/",
        every(403, anonymous=401, officer_a=201, supervisor_a=201, officer_b=404),
        body=lambda w: {"account_number": START_ACCOUNT, "max_tiers": 3},
    ),
    Row("trace-detail", "GET", _TracePath("/api/v1/traces/{trace.pk}/"), READERS),
    Row(
        "trace-export",
        "GET",
        _TracePath("/api/v1/traces/{trace.pk}/export/"),
        READERS,
        query={"format": "csv"},
    ),
]
