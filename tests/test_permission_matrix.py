"""Every endpoint of /api/v1/ for every identity of the matrix, against a fresh world."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.audit.matrix import ROWS as AUDIT_ROWS
from tests.exchange.matrix import ROWS as EXCHANGE_ROWS
from tests.partners.matrix import ROWS as REGISTRY_ROWS
from tests.permission_matrix import IDENTITIES, Row, call
from tests.stats.matrix import ROWS as STATS_ROWS
from tests.watchlist.matrix import ROWS as WATCHLIST_ROWS

ROWS: list[Row] = [*REGISTRY_ROWS, *EXCHANGE_ROWS, *AUDIT_ROWS, *WATCHLIST_ROWS, *STATS_ROWS]


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_status_for_identity(world, row: Row, identity: str) -> None:
    response = call(world, row, identity)
    assert response.status_code == row.expected[identity], (identity, row.id, response.content[:300])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"}


def _route_names(resolver: URLResolver, namespace: str) -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            names |= _route_names(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_endpoint_has_a_row() -> None:
    api = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "v1")
    assert _route_names(api, "v1") == {row.route for row in ROWS}
