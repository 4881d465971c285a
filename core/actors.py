"""Who acts: a person, an adapter of an answering partner, or the system itself.

Every service takes an `Actor`. People and adapters come from `partners` (its `Person`
model and `AdapterPrincipal`); this layer only says what every actor offers, so that the
layers below `partners` (privacy, audit) can name an actor without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from .roles import POLICE_ROLES


@runtime_checkable
class Actor(Protocol):
    """What a person, an adapter principal and the system all expose."""

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_adapter(self) -> bool: ...

    @property
    def role(self) -> Any: ...

    @property
    def partner(self) -> Any: ...

    @property
    def actor_label(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """AFX acting on its own: a Celery task or a management command, named by what it is.

    It has no role and no partner, so no access rule lets it see a case or a query: system
    code acts on rows it already holds (a delivery, an expiry), never on what a caller names.
    """

    name: str
    pk: ClassVar[None] = None

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def is_adapter(self) -> bool:
        return False

    @property
    def role(self) -> None:
        return None

    @property
    def partner(self) -> None:
        return None

    @property
    def actor_label(self) -> str:
        return f"system:{self.name}"


def role_of(actor: object) -> str | None:
    """The role of an authenticated actor, or None for anybody else (anonymous, the system)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return str(actor.role)  # type: ignore[attr-defined]


def acting_role(actor: object) -> str | None:
    """The role of an actor who may act on case data now: authenticated, not a deactivated
    person, and of a partner that is not suspended. Suspension and deactivation stop a
    person's or an adapter's acts wherever they are made, not only at the API's door."""
    role = role_of(actor)
    if role is None or not getattr(actor, "is_active", True):
        return None
    partner = getattr(actor, "partner", None)
    return role if partner is not None and partner.is_active else None


def is_police(actor: object) -> bool:
    """An officer or supervisor of a police unit: the only ones who work on cases and see plaintext."""
    return role_of(actor) in POLICE_ROLES
