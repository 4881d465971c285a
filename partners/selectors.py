"""Reads of the partner registry that other apps ask: may this unit send this to that partner?"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.actors import is_police

from .choices import send_permission
from .models import Grant, Partner


def grants_active_for(*, unit: Partner, partner: Partner, kind: str, at: datetime | None = None) -> Any:
    """The unit's unexpired grants to send `kind` to `partner` (at most one): an indexed query."""
    return Grant.objects.active(at).filter(
        group_id=unit.group_id, content_object=partner, permission__codename=send_permission(kind)
    )


def may_send(*, actor: Any, partner: Partner, kind: str, at: datetime | None = None) -> bool:
    """Police of an active unit may send `kind` to an active partner that answers it, under a grant."""
    if not is_police(actor):
        return False
    unit = actor.partner
    if not (unit.is_active and partner.is_active and kind in partner.answers):
        return False
    return bool(grants_active_for(unit=unit, partner=partner, kind=kind, at=at).exists())
