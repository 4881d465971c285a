"""The exchange's periodic Celery tasks; the push task itself is `exchange.delivery.push.push_query`.

Messages carry query ids only, never personal data.
"""

from celery import shared_task

from exchange import retention
from exchange.delivery import expiry, hold_expiry, outbox, redispatch


@shared_task(name="gateway.relay_stale_outbox")
def relay_stale_outbox() -> int:
    return outbox.relay_stale_outbox()


@shared_task(name="gateway.expire_overdue_queries")
def expire_overdue_queries() -> int:
    return expiry.expire_overdue_queries()


@shared_task(name="gateway.redispatch_quiet_pushes")
def redispatch_quiet_pushes() -> dict[str, int]:
    """Send again the push queries whose delivery attempt went quiet (every 2 s)."""
    result = redispatch.redispatch_quiet_pushes()
    return {"unclaimed": result.unclaimed, "quiet": result.quiet}


@shared_task(name="gateway.sweep_holds")
def sweep_holds() -> dict[str, int]:
    """Warn of holds ending within six hours and expire those past their end (every minute)."""
    result = hold_expiry.holds_sweep()
    return {"warned": result.warned, "expired": result.expired}


@shared_task(name="gateway.erase_expired_cases")
def erase_expired_cases() -> dict[str, int]:
    """Erase the personal values of cases closed longer than the retention period (daily)."""
    return retention.retention_sweep()
