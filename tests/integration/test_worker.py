"""A real Celery worker over the real broker does the registry's periodic upkeep on PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from partners.tasks import purge_expired_tokens
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def test_worker_purges_expired_tokens(world, celery_worker):
    AuthToken.objects.create(user=world.officer_a, expiry=timedelta(hours=1))
    AuthToken.objects.create(user=world.officer_b, expiry=timedelta(hours=1))
    AuthToken.objects.filter(user=world.officer_b).update(expiry=timezone.now() - timedelta(minutes=1))
    purge_expired_tokens.delay()
    wait_for(lambda: not AuthToken.objects.filter(user=world.officer_b).exists())
    assert AuthToken.objects.filter(user=world.officer_a).count() == 1
