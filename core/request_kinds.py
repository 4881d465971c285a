"""The names of the request kinds AFX carries, as every layer may know them.

A kind is defined by its package in `exchange.kinds` (schemas, personal fields, audit
actions, deadline, approval); defining it registers its name here, when the exchange app
is loaded. The partner registry, below the exchange, reads only this: which kinds exist
(for grants and for what a partner answers) and which kinds of partner may answer each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestKindName:
    name: str
    label: str
    # The `partners.choices.PartnerKind` values whose partners may answer this kind.
    answered_by: frozenset[str]


_kinds: dict[str, RequestKindName] = {}


def register(kind: RequestKindName) -> None:
    known = _kinds.get(kind.name)
    if known is not None and known != kind:
        raise ValueError(f"request kind {kind.name!r} is registered already, differently")
    _kinds[kind.name] = kind


def names() -> list[str]:
    return sorted(_kinds)


def choices() -> list[tuple[str, str]]:
    return [(name, _kinds[name].label) for name in names()]


def get(name: str) -> RequestKindName | None:
    return _kinds.get(name)


def answerable_by(partner_kind: str) -> frozenset[str]:
    """The kinds a partner of `partner_kind` may declare it answers."""
    return frozenset(name for name, kind in _kinds.items() if partner_kind in kind.answered_by)
