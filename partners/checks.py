"""System checks of the partners app: settings under which adapter authentication is unsafe."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.db import connections


@register()
def atomic_requests_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """`ATOMIC_REQUESTS` would roll a refused request's nonce claim back (`replay.nonce_claim`),
    making that signature replayable; refuse to start rather than accept replays."""
    return [
        Error(
            f"ATOMIC_REQUESTS is on for the database {alias!r}.",
            hint="Turn it off: a refused request would roll its nonce back, and its signature "
            "could be replayed. Services open their own transactions.",
            id="partners.E001",
        )
        for alias in connections
        if connections[alias].settings_dict.get("ATOMIC_REQUESTS")
    ]
