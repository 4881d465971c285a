"""The service-level permission matrix: every service and selector, every identity, its outcome.

The API matrix (`tests/permission_matrix.py`) proves what each endpoint answers; this one
proves the same of the services themselves, which views, the admin, commands, tasks and the
coming web pages all call. Each app's test package lists its services as `ServiceRow`s
(`tests/<app>/service_matrix.py`, a `ROWS` list); `tests/test_service_matrix.py` calls every
row with every identity on a fresh world, and fails when a public function of a service
module has no row, so a new service cannot ship without deciding who may call it.

`call(world, actor)` calls one service (or selector) on objects of the world, as `actor`:
a `Person`, an `AdapterPrincipal`, None for an anonymous caller, or the `SystemActor` of a
command or a task (identity `system`). `expected` gives each identity's outcome: "ok" when
the call returned, or the kind of domain error it raised (`OUTCOMES`). A "not_found" must
have been audited once, by the access layer, and survive the service's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.actors import SystemActor
from core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from partners.identity import AdapterPrincipal
from tests.permission_matrix import IDENTITIES

# Every identity of the API matrix, and the system (a management command, a Celery task).
SERVICE_IDENTITIES = (*IDENTITIES, "system")
SYSTEM_ACTOR = SystemActor("service-matrix")

# The outcome of each kind of domain error; a subclass takes its nearest ancestor's.
ERROR_OUTCOMES: dict[type[DomainError], str] = {
    Invalid: "invalid",
    Unauthenticated: "unauthenticated",
    Forbidden: "forbidden",
    NotFound: "not_found",
    Conflict: "conflict",
    Gone: "gone",
    TooManyAttempts: "too_many_attempts",
}
OUTCOMES = frozenset({"ok", *ERROR_OUTCOMES.values()})


@dataclass(frozen=True)
class ServiceRow:
    """One service call. `name` is the service's dotted path (`partners.services.people.person_create`):
    the completeness check matches it against the functions of the service modules. `variant`
    tells apart several rows of one service (its own token, somebody else's)."""

    name: str
    call: Callable[[Any, Any], object]
    expected: Mapping[str, str]
    variant: str = ""

    def __post_init__(self) -> None:
        missing = set(SERVICE_IDENTITIES) - set(self.expected)
        if missing:
            raise ValueError(f"{self.id}: no expected outcome for {sorted(missing)}")
        unknown = set(self.expected.values()) - OUTCOMES
        if unknown:
            raise ValueError(f"{self.id}: unknown outcomes {sorted(unknown)}; one of {sorted(OUTCOMES)}")

    @property
    def id(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name


def every(outcome: str, **exceptions: str) -> dict[str, str]:
    """Shorthand: `outcome` for every identity but those named."""
    return {identity: exceptions.get(identity, outcome) for identity in SERVICE_IDENTITIES}


def actor_of(world: Any, identity: str) -> Any:
    """The actor a service is handed for `identity` of the matrix."""
    if identity == "anonymous":
        return None
    if identity == "system":
        return SYSTEM_ACTOR
    if identity.startswith("adapter_"):
        held = world.key_x if identity == "adapter_x" else world.key_y
        return AdapterPrincipal(key=held.key)
    return getattr(world, identity)


def outcome_of(row: ServiceRow, world: Any, actor: Any) -> str:
    """Call the row's service as `actor`: "ok", or the outcome of the domain error it raised.
    Any other exception escapes: a service must refuse with a domain error, never crash."""
    try:
        row.call(world, actor)
    except DomainError as error:
        return next(ERROR_OUTCOMES[kind] for kind in type(error).__mro__ if kind in ERROR_OUTCOMES)
    return "ok"
