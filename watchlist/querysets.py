"""The restriction point of the watchlist: who reaches which entry.

- Police (officers, supervisors) view and change their own unit's entries; whether a
  change is theirs to make (a supervisor's act) is the service's to say, once reached.
- Auditors view every unit's entries (masked) and change none.
- Everybody else reaches no entry: banks and platforms only ever learn, through a check,
  whether a value is listed and the restriction asked, never the entry, its case or unit.
"""

from __future__ import annotations

from django.db import models

from core.actors import Actor, acting_role
from core.roles import POLICE_ROLES, Role
from partners.querysets import CHANGE, VIEW

__all__ = ["CHANGE", "VIEW", "EntryQuerySet"]


class EntryQuerySet(models.QuerySet):
    def restrict(self, actor: Actor, action: str = VIEW) -> EntryQuerySet:
        role = acting_role(actor)
        if role in POLICE_ROLES and action in (VIEW, CHANGE):
            return self.filter(unit_id=actor.partner.pk)
        if role == Role.AUDITOR and action == VIEW:
            return self.all()
        return self.none()
