"""Periodic upkeep of sign-in state, run by Celery beat."""

from celery import shared_task
from django.utils import timezone
from knox.models import AuthToken


@shared_task(name="partners.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Delete expired API tokens; knox refuses them already, this keeps the table small."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
