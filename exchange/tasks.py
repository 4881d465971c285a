"""The exchange's periodic Celery tasks; the push task itself is `exchange.delivery.push.push_query`.

Messages carry query ids only, never personal data.
"""

from celery import shared_task

from exchange.delivery import expiry, hold_expiry, outbox


@shared_task(name="gateway.relay_stale_outbox")
def relay_stale_outbox() -> int:
    return outbox.relay_stale_outbox()


@shared_task(name="gateway.expire_overdue_queries")
def expire_overdue_queries() -> int:
    return expiry.expire_overdue_queries()


@shared_task(name="gateway.sweep_holds")
def sweep_holds() -> dict[str, int]:
    """Warn of holds ending within six hours and expire those past their end (every minute)."""
    result = hold_expiry.holds_sweep()
    return {"warned": result.warned, "expired": result.expired}
