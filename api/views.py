"""What the API's views share: the actor a request acts as, handed to every service."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from core.actors import Actor


def request_actor(request: Request) -> Actor:
    """The request's actor: a person or an adapter principal, as `RoleAllowed` (every view's
    permission unless it is public) admits nobody else before the view runs. DRF types
    `request.user` as a person or Django's anonymous user, which is neither here."""
    return cast(Actor, request.user)
