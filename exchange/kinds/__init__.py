"""The request kinds AFX carries: one package per kind under this one, found when the app loads.

A kind is a folder, `exchange/kinds/<name>/`, whose `__init__` exposes `SPEC`, an instance
of its `exchange.kinds.base.KindSpec` subclass. `ExchangeConfig.ready` calls `discover()`,
which imports every such package and registers its spec: here (for the exchange), in
`core.request_kinds` (its name, for the partner registry's grants) and its audit actions
in `audit.vocabulary`. Nothing else lists kinds, so adding one touches no other file.
"""

from __future__ import annotations

import importlib
import pkgutil

from audit import vocabulary
from core import request_kinds
from exchange.models import Query

from .base import KindSpec, PersonalValue

__all__ = ["KindSpec", "PersonalValue", "discover", "register", "spec_for", "spec_of"]

_specs: dict[str, KindSpec] = {}


def discover(package: str = __name__) -> list[KindSpec]:
    """Register the `SPEC` of every subpackage of `package` (by default, this one)."""
    root = importlib.import_module(package)
    found = []
    for module in pkgutil.iter_modules(root.__path__):
        if module.ispkg:
            spec = importlib.import_module(f"{package}.{module.name}").SPEC
            register(spec)
            found.append(spec)
    return found


def register(spec: KindSpec) -> None:
    """Make `spec` a kind the exchange carries; registering the same spec again changes nothing."""
    known = _specs.get(spec.name)
    if known is not None:
        if type(known) is not type(spec):
            raise ValueError(f"request kind {spec.name!r} is registered already, by another package")
        return
    spec.check()
    vocabulary.register(f"gateway.{spec.name}", spec.actions, spec.traits)
    request_kinds.register(request_kinds.RequestKindName(spec.name, spec.label, spec.answered_by))
    _specs[spec.name] = spec


def spec_for(name: str) -> KindSpec | None:
    return _specs.get(name)


def spec_of(query: Query) -> KindSpec:
    """The spec of a stored query's kind; a kind that was stored exists, so it is registered."""
    return _specs[query.kind]
