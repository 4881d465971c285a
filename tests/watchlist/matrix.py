"""The watchlist's rows of the API permission matrix.

A row's path is written before its world exists, so the entry the detail and delist rows
name has a fixed id (`ENTRY_ID`), made for each identity's fresh world by the row's `body`
(called after the path, before the request, for GETs too). A listing's body first has the
case meet the value (`met`), as a case lists only what it met.
"""

import uuid
from typing import Any

from tests.permission_matrix import Row, every
from tests.watchlist.service_matrix import ACCOUNT, PHONE, TELECOM, entry_with_id, listed, met, telecom

ENTRY_ID = uuid.UUID("00000000-0000-4000-8000-00000000a001")
ENTRY = f"/api/v1/watchlist/{ENTRY_ID}/"


def _entry(world: Any, body: Any = None) -> Any:
    entry_with_id(world, ENTRY_ID)
    return body


def _listing(world: Any) -> dict[str, str]:
    met(world)
    return {
        "case": str(world.case_a.pk),
        "kind": "account",
        "value": ACCOUNT,
        "reason": "mule_account",
        "restriction": "counter_only",
    }


def _blocks(world: Any) -> dict[str, object]:
    """Case A's phone number on the list, and a telecom unit A may send number blocks to."""
    telecom(world)
    listed(world, PHONE, kind="phone", reason="fraud_number", restriction="block")
    return {"case": str(world.case_a.pk), "telecom": TELECOM, "days": 90, "reason": "fraud_call"}


_CHECK = {"values": [{"kind": "account", "value": ACCOUNT}, {"kind": "phone", "value": "13912345678"}]}

ROWS: list[Row] = [
    Row(
        "watchlist-list",
        "GET",
        "/api/v1/watchlist/",
        every(403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=200, auditor=200),
    ),
    Row(
        "watchlist-list",
        "POST",
        "/api/v1/watchlist/",
        every(403, anonymous=401, officer_a=403, supervisor_a=201, officer_b=404),
        body=_listing,
    ),
    Row(
        "watchlist-detail",
        "GET",
        ENTRY,
        every(403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=404, auditor=200),
        body=_entry,
    ),
    Row(
        "watchlist-delist",
        "POST",
        f"{ENTRY}delist/",
        every(403, anonymous=401, officer_a=403, supervisor_a=200, officer_b=404),
        body=lambda w: _entry(w, {"reason": "listed_in_error"}),
    ),
    Row(
        "watchlist-check",
        "POST",
        "/api/v1/watchlist/check/",
        every(
            403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=200, adapter_x=200, adapter_y=200
        ),
        body=lambda w: _CHECK,
    ),
    Row(
        "watchlist-blocks",
        "POST",
        "/api/v1/watchlist/blocks/",
        every(403, anonymous=401, officer_a=202, supervisor_a=202, officer_b=404),
        body=_blocks,
    ),
]
