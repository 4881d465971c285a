"""Periodic upkeep of sign-in state, run by Celery beat."""

from celery import shared_task
from django.utils import timezone
from knox.models import AuthToken

from .replay import nonces_purge


@shared_task(name="partners.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Delete expired API tokens; knox refuses them already, this keeps the table small."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


@shared_task(name="partners.purge_seen_nonces")
def purge_seen_nonces() -> int:
    """Delete nonces whose signatures are stale anyway; keeps the replay table to one window."""
    return nonces_purge()
