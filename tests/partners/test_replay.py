"""Replay protection that cannot forget: a captured signed inbox request stays refused after
thousands of other signed requests, whatever the cache, and after a purge of expired nonces.

Under the old scheme the nonces lived in the cache: with the embedded default's database
cache (which culls entries past MAX_ENTRIES) the captured request was accepted again after a
few hundred others and returned plaintext order numbers.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from afx_sdk import signing
from partners.models import SeenNonce
from partners.replay import PURGE_MARGIN, nonce_claim, nonces_purge
from tests.clients import signed_world_client

INBOX = "/api/v1/adapter/inbox/?wait=0&limit=10"
ME = "/api/v1/adapter/me/"
OTHER_REQUESTS = 3_000


@pytest.fixture
def culling_db_cache(settings, db):
    """The embedded default's cache, made small: it forgets entries after a handful."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "afx_test_cache",
            "OPTIONS": {"MAX_ENTRIES": 50, "CULL_FREQUENCY": 2},
        }
    }
    call_command("createcachetable", verbosity=0)


def captured_inbox_request(world, client):
    headers = signing.signed_headers(
        key_id=world.key_x.key.key_id,
        private_key=signing.load_private_key(world.key_x.private_key),
        method="GET",
        url=f"http://testserver{INBOX}",
    )
    first = client.get(INBOX, headers=headers)
    assert first.status_code == 200
    assert first.json()["results"][0]["input"]["order_number"] == "PX0000000001"  # what a replay would leak
    return headers


def test_captured_request_is_refused_after_thousands_of_others(world, client, culling_db_cache):
    headers = captured_inbox_request(world, client)
    adapter = signed_world_client(world.key_x)
    for _ in range(OTHER_REQUESTS):
        assert adapter.get(ME).status_code == 200
    replay = client.get(INBOX, headers=headers)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "signature_replayed"
    assert "PX0000000001" not in replay.content.decode()
    assert SeenNonce.objects.filter(key=world.key_x.key).count() == OTHER_REQUESTS + 1


def test_purge_keeps_what_the_window_needs(world, client):
    headers = captured_inbox_request(world, client)
    stale = SeenNonce.objects.create(
        key=world.key_x.key, nonce="an-old-nonce-0000000000", expires_at=timezone.now() - 2 * PURGE_MARGIN
    )
    assert nonces_purge() == 1
    assert not SeenNonce.objects.filter(pk=stale.pk).exists()
    replay = client.get(INBOX, headers=headers)
    assert replay.json()["error"]["code"] == "signature_replayed"


def test_a_nonce_is_purged_only_once_its_signature_is_stale(world, client):
    """Purging forgets a nonce only when a replay of its signature is refused as stale anyway."""
    headers = _headers_at(world, time.time() - 290)
    assert client.get(ME, headers=headers).status_code == 200
    (seen,) = SeenNonce.objects.all()
    assert nonces_purge(now=seen.expires_at) == 0  # not before the window has closed
    purged_at = seen.expires_at + PURGE_MARGIN + timedelta(seconds=1)
    assert nonces_purge(now=purged_at) == 1
    with pytest.raises(signing.StaleSignature):
        signing.verify_request(
            method="GET",
            url=f"http://testserver{ME}",
            headers=headers,
            body=b"",
            resolve_key=lambda key_id: signing.load_public_key(world.key_x.key.public_key),
            tag=signing.ADAPTER_TAG,
            now=purged_at.timestamp(),
        )


def _headers_at(world, moment: float) -> dict[str, str]:
    return signing.signed_headers(
        key_id=world.key_x.key.key_id,
        private_key=signing.load_private_key(world.key_x.private_key),
        method="GET",
        url=f"http://testserver{ME}",
        now=moment,
    )


def test_a_nonce_is_claimed_once_per_key(world):
    created = int(time.time())
    assert nonce_claim(key=world.key_x.key, nonce="n" * 22, created=created)
    assert not nonce_claim(key=world.key_x.key, nonce="n" * 22, created=created)
    assert nonce_claim(key=world.key_y.key, nonce="n" * 22, created=created)  # another key's namespace


def test_atomic_requests_is_refused_by_a_system_check(db, monkeypatch):
    """A request-wide transaction would roll a refused request's nonce back (`set_rollback`)."""
    from django.core import checks
    from django.db import connection

    assert not [m for m in checks.run_checks() if m.id == "partners.E001"]
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    (error,) = [m for m in checks.run_checks() if m.id == "partners.E001"]
    assert error.level == checks.ERROR and "default" in error.msg
