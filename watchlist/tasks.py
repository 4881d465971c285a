"""The watchlist's periodic Celery task: entries past their expiry leave the list."""

from celery import shared_task

from watchlist import services


@shared_task(name="watchlist.expire_entries")
def expire_entries() -> int:
    """End every entry past its expiry, one audit event each; how many."""
    return services.entries_expire()
