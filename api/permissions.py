"""Deny by default: a view is open only to the roles it names, and only while active.

`RoleAllowed` is the default permission class of every API view. A view that names no
`allowed_roles` refuses everyone; `AllowAny` must be written out on the few public views.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from core.actors import role_of
from core.roles import Role

POLICE = frozenset({Role.OFFICER, Role.SUPERVISOR})
EVERY_ROLE = frozenset(Role)
EVERY_PERSON = EVERY_ROLE - {Role.ADAPTER}


class PartnerSuspended(exceptions.PermissionDenied):
    default_detail = "Your partner is suspended; all of its traffic is stopped."
    default_code = "partner_suspended"


class RoleAllowed(BasePermission):
    """Allows the roles in `view.allowed_roles` (or, per method, `view.allowed_roles_by_method`)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        role = role_of(request.user)
        if role is None:
            raise exceptions.NotAuthenticated()
        if not request.user.partner.is_active:  # type: ignore[union-attr]
            raise PartnerSuspended()
        if not hasattr(view, request.method.lower()):  # type: ignore[union-attr]
            return True  # the view answers 405; there is nothing to protect
        by_method = getattr(view, "allowed_roles_by_method", {})
        allowed = by_method.get(request.method, getattr(view, "allowed_roles", frozenset()))
        return role in allowed
