"""Every service and selector for every identity of the matrix, against a fresh world.

Beside the API matrix: the services are where access is decided, so every caller (a view,
the admin, a command, a task, a web page) gets the answer proven here. A public function of
a service module without a row fails `test_every_service_has_a_row`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

from audit.choices import Outcome
from audit.models import AuditEvent
from tests.audit.service_matrix import ROWS as AUDIT_ROWS
from tests.exchange.service_matrix import ROWS as EXCHANGE_ROWS
from tests.partners.service_matrix import ROWS as REGISTRY_ROWS
from tests.service_matrix import SERVICE_IDENTITIES, ServiceRow, actor_of, outcome_of
from tests.stats.service_matrix import ROWS as STATS_ROWS
from tests.watchlist.service_matrix import ROWS as WATCHLIST_ROWS

ROWS: list[ServiceRow] = [*REGISTRY_ROWS, *EXCHANGE_ROWS, *AUDIT_ROWS, *WATCHLIST_ROWS, *STATS_ROWS]

# Where the services and selectors live: a package stands for every module in it.
SERVICE_MODULES = (
    "partners.services",
    "partners.selectors",
    "exchange.services",
    "exchange.selectors",
    "watchlist.services",
    "watchlist.selectors",
    "stats.selectors",
)


@pytest.mark.parametrize("identity", SERVICE_IDENTITIES)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_outcome_for_identity(world, row: ServiceRow, identity: str) -> None:
    denials_before = AuditEvent.objects.filter(outcome=Outcome.DENIED).count()
    outcome = outcome_of(row, world, actor_of(world, identity))
    assert outcome == row.expected[identity], (identity, row.id)
    if outcome == "not_found":
        # Out of scope is audited where it is decided, once, and outlives the service's rollback.
        denials = AuditEvent.objects.filter(outcome=Outcome.DENIED).count() - denials_before
        assert denials == 1, (identity, row.id, denials)


def _modules(name: str) -> list[ModuleType]:
    module = importlib.import_module(name)
    if not hasattr(module, "__path__"):
        return [module]
    return [importlib.import_module(f"{name}.{info.name}") for info in pkgutil.iter_modules(module.__path__)]


def public_services() -> set[str]:
    """The dotted path of every public function defined in a service or selector module."""
    return {
        f"{module.__name__}.{name}"
        for package in SERVICE_MODULES
        for module in _modules(package)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and function.__module__ == module.__name__
    }


def _exists(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    return inspect.isfunction(getattr(importlib.import_module(module), name, None))


def test_every_service_has_a_row() -> None:
    rows = {row.name for row in ROWS}
    assert public_services() - rows == set(), "services without a row in a service matrix"
    assert {name for name in rows if not _exists(name)} == set(), "rows naming no function"
