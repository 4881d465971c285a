"""Replay protection for adapter signatures: each (key, nonce) is accepted once, in the database.

The caller has verified the signature and refused a `created` outside the allowed skew, so
a nonce only has to be remembered until `created + skew`; `nonces_purge` deletes the rows
past that. Nothing here depends on a cache, which may forget an entry within the window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import AdapterKey, SeenNonce

# Rows are purged this long after their window closed: clocks of gateway processes differ a little.
PURGE_MARGIN = timedelta(minutes=1)


def nonce_claim(*, key: AdapterKey, nonce: str, created: int) -> bool:
    """Record that `key` signed with `nonce`; False if it already had (a replay).

    An INSERT against the unique constraint, in a savepoint: atomic between processes, and
    the same on SQLite and PostgreSQL. It commits at once because requests run in autocommit:
    inside a request-wide transaction, the error handler's `set_rollback()` would undo the
    claim of every refused request, and the same signature could be sent again. So
    `ATOMIC_REQUESTS` stays off (the system check `partners.E001` refuses to start with it).
    """
    expires_at = datetime.fromtimestamp(created, tz=UTC) + settings.AFX_SIGNATURE_MAX_SKEW
    try:
        with transaction.atomic():
            SeenNonce.objects.create(key=key, nonce=nonce, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def nonces_purge(*, now: datetime | None = None) -> int:
    """Delete the nonces whose signatures are stale by now; returns how many."""
    cutoff = (now or timezone.now()) - PURGE_MARGIN
    deleted, _ = SeenNonce.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
