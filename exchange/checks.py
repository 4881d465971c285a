"""System checks of the exchange: settings under which it would destroy what it must keep."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

# A retention shorter than this is taken for a mistake (18 for 1826, 0 for "keep forever"):
# erasure cannot be undone, so the gateway refuses to start rather than erase.
MIN_RETENTION_DAYS = 365


@register()
def retention_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    days = settings.AFX_RETENTION_DAYS
    if isinstance(days, int) and days >= MIN_RETENTION_DAYS:
        return []
    return [
        Error(
            f"AFX_RETENTION_DAYS must be a whole number of days, at least {MIN_RETENTION_DAYS}.",
            hint="Closed cases older than this lose their personal values for good (exchange.retention).",
            id="gateway.E001",
        )
    ]
