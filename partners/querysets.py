"""The restriction point of the partner registry: what each actor may see or change.

Every list, detail and write starts from `Model.objects.restrict(actor, action)`, through
`partners.access` for one object. What it leaves out does not exist for that actor: every
caller gets the not-found of a missing object. Management commands act as a `SystemActor`:
whoever holds the server's shell holds the database key too, so the registry trusts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import BaseUserManager
from django.db import models
from django.utils import timezone

from core.actors import SystemActor, role_of
from core.roles import POLICE_ROLES, Role

if TYPE_CHECKING:
    from datetime import datetime

VIEW = "view"
CHANGE = "change"


def acting(actor: Any) -> str | None:
    """The role of an actor who may act at all: authenticated, and not a deactivated person."""
    return role_of(actor) if getattr(actor, "is_active", True) else None


def registry_writer(actor: Any) -> bool:
    """Who changes the registry: active administrators, and the server's shell (a `SystemActor`)."""
    return isinstance(actor, SystemActor) or acting(actor) == Role.ADMINISTRATOR


class RegistryQuerySet(models.QuerySet):
    """The rule every registry table shares: administrators (and the shell) see and change
    all, auditors see all, nobody else changes anything; `visible_to` says what the others see."""

    def restrict(self, actor: Any, action: str = VIEW) -> Any:
        if registry_writer(actor):
            return self.all()
        role = acting(actor)
        if role is None or action != VIEW:
            return self.none()
        if role == Role.AUDITOR:
            return self.all()
        return self.visible_to(actor, role)

    def visible_to(self, actor: Any, role: str) -> Any:
        raise NotImplementedError


class PartnerQuerySet(RegistryQuerySet):
    def visible_to(self, actor: Any, role: str) -> PartnerQuerySet:
        """Police see their unit and the partners it holds an active grant to; answering
        partners see themselves and the units holding an active grant to them."""
        now = timezone.now()
        partner = actor.partner
        if role in POLICE_ROLES:
            granted = models.Q(
                grants_received__group_id=partner.group_id, grants_received__expires_at__gt=now
            )
        else:
            granted = models.Q(group__grant__content_object_id=partner.pk, group__grant__expires_at__gt=now)
        return self.filter(models.Q(pk=partner.pk) | granted).distinct()


class PersonQuerySet(RegistryQuerySet):
    def visible_to(self, actor: Any, role: str) -> PersonQuerySet:
        """Supervisors see their unit's people; other people see themselves; adapters nobody."""
        if role == Role.ADAPTER:
            return self.none()
        if role == Role.SUPERVISOR:
            return self.filter(partner_id=actor.partner_id)
        return self.filter(pk=actor.pk)


class PersonManager(BaseUserManager.from_queryset(PersonQuerySet)):  # type: ignore[misc]
    """The default manager of people; creation goes through `partners.services.people.person_create`."""

    use_in_migrations = True


class AdapterKeyQuerySet(RegistryQuerySet):
    def visible_to(self, actor: Any, role: str) -> AdapterKeyQuerySet:
        """A partner's operators see its keys; an adapter sees the key it signs with."""
        if role == Role.OPERATOR:
            return self.filter(partner_id=actor.partner.pk)
        if role == Role.ADAPTER:
            return self.filter(pk=actor.key.pk)
        return self.none()

    def active(self) -> AdapterKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class GrantQuerySet(RegistryQuerySet):
    def visible_to(self, actor: Any, role: str) -> GrantQuerySet:
        """Police see their unit's grants; answering partners see the grants addressed to them."""
        if role in POLICE_ROLES:
            return self.filter(group_id=actor.partner.group_id)
        return self.filter(content_object_id=actor.partner.pk)

    def active(self, at: datetime | None = None) -> GrantQuerySet:
        return self.filter(expires_at__gt=at or timezone.now())


class TokenQuerySet(models.QuerySet):
    """Sign-in tokens (knox's `AuthToken`, whose manager AFX does not own): a person reaches
    their own, to sign out; registry writers reach all, to revoke; nobody else reaches any."""

    def restrict(self, actor: Any, action: str = VIEW) -> Any:
        if registry_writer(actor):
            return self.all()
        if acting(actor) is None or actor.is_adapter:
            return self.none()
        return self.filter(user_id=actor.pk)
