"""The permission matrix: for every endpoint, every identity and the status it must get.

Each API test module lists its endpoints as `Row`s; `tests/test_permission_matrix.py` runs
every row for every identity against a fresh world, and fails when an endpoint of
`/api/v1/` has no row, so a new endpoint cannot ship without deciding who may call it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

IDENTITIES = (
    "anonymous",
    "officer_a",
    "supervisor_a",
    "officer_b",
    "adapter_x",
    "adapter_y",
    "operator_bank",
    "auditor",
    "administrator",
)


@dataclass(frozen=True)
class Row:
    """One endpoint call. `path` may name world attributes: `{world.platform_x.code}`."""

    route: str  # the URL name in the v1 namespace, to check that every endpoint has a row
    method: str
    path: str
    expected: Mapping[str, int]
    body: Callable[[Any], Any] | None = None
    query: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = set(IDENTITIES) - set(self.expected)
        if missing:
            raise ValueError(f"{self.route} {self.method}: no expected status for {sorted(missing)}")

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def every(status: int, **exceptions: int) -> dict[str, int]:
    """Shorthand: `status` for every identity but those named."""
    return {identity: exceptions.get(identity, status) for identity in IDENTITIES}


def call(world: Any, row: Row, identity: str) -> Any:
    client = world.client(identity)
    path = row.path.format(world=world)
    body = row.body(world) if row.body else None
    if row.method == "GET":
        return client.get(path, row.query)
    return getattr(client, row.method.lower())(path, body, format="json")
