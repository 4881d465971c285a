"""Who is acting: a person, or an adapter (a machine identity of its partner).

Views and services accept either as `Actor`; both expose `partner`, `role`,
`actor_label` and `is_authenticated`, so one restriction point serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.roles import Role

if TYPE_CHECKING:
    from .models import AdapterKey, Partner


@dataclass(frozen=True)
class AdapterPrincipal:
    """The identity DRF puts on `request.user` for a request signed with an adapter key."""

    key: AdapterKey

    is_authenticated = True
    is_anonymous = False
    is_adapter = True
    role = Role.ADAPTER
    pk = None

    @property
    def partner(self) -> Partner:
        return self.key.partner

    @property
    def actor_label(self) -> str:
        return f"adapter:{self.partner.code}/{self.key.key_id}"
