"""Every console page for every identity of the matrix, against a fresh world."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.console.matrix import ROWS, SIGNED_OUT, console_call
from tests.permission_matrix import IDENTITIES, Row


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_status_for_identity(world, row: Row, identity: str) -> None:
    response = console_call(world, row, identity)
    assert response.status_code == row.expected[identity], (identity, row.id, response.content[:300])
    assert "no-store" in response.headers.get("Cache-Control", ""), (identity, row.id)
    if (
        identity in SIGNED_OUT
        and response.status_code == 302
        and row.route not in ("language", "sign-in-code")
    ):
        assert response.headers["Location"].startswith("/console/sign-in/")


def test_every_console_page_has_a_row() -> None:
    console = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "console"
    )
    names = {p.name for p in console.url_patterns if isinstance(p, URLPattern) and p.name}
    assert names == {row.route for row in ROWS}
