"""The restriction point of cases and queries.

Police see and act on their own unit's cases and queries; an answering partner's adapter and
operators see the queries addressed to it; auditors see everything, masked, and act on
nothing; administrators run the registry and see no case data at all.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from core.actors import role_of
from core.roles import POLICE_ROLES, Role
from partners.querysets import VIEW

from .choices import QueryStatus


class CaseQuerySet(models.QuerySet):
    def restrict(self, actor: Any, action: str = VIEW) -> CaseQuerySet:
        role = role_of(actor)
        if role in POLICE_ROLES:
            return self.filter(unit_id=actor.partner.pk)
        if role == Role.AUDITOR and action == VIEW:
            return self.all()
        return self.none()


class QueryQuerySet(models.QuerySet):
    def restrict(self, actor: Any, action: str = VIEW) -> QueryQuerySet:
        role = role_of(actor)
        if role in POLICE_ROLES:
            return self.filter(case__unit_id=actor.partner.pk)
        # A partner sees what was sent to it: never the queries the gateway refused to send.
        if role == Role.ADAPTER or (role == Role.OPERATOR and action == VIEW):
            return self.filter(partner_id=actor.partner.pk).exclude(status=QueryStatus.REFUSED)
        if role == Role.AUDITOR and action == VIEW:
            return self.all()
        return self.none()
