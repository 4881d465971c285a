"""Adapter request signing over real requests: good, stale, replayed, wrong key, revoked
key, tampered body and suspended partner; every refusal is audited without the key."""

import time

import pytest

from afx_sdk import signing
from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from partners import services
from partners.choices import PartnerStatus
from tests.clients import SignedClient

ME = "/api/v1/adapter/me/"


def rejection(code: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=AuditAction.SIGNATURE_REJECTED).latest("id")
    assert event.outcome == Outcome.DENIED
    assert event.details["reason"] == code
    return event


def test_good_signature_identifies_the_adapter(world):
    response = SignedClient(world.key_x.api_key, world.key_x.signing_secret).get(ME)
    assert response.status_code == 200
    assert response.json()["partner"]["code"] == world.platform_x.code
    assert response.json()["identity"] == f"adapter:{world.platform_x.code}/{world.key_x.key.key_id}"


def test_signature_covers_the_query_string(world):
    response = SignedClient(world.key_x.api_key, world.key_x.signing_secret).get(
        "/api/v1/grants/", {"active": "true"}
    )
    assert response.status_code == 200
    assert [g["partner"] for g in response.json()["results"]] == [world.platform_x.code]


@pytest.mark.parametrize("offset", [-310, 310])
def test_stale_timestamp_is_refused(world, offset):
    client = SignedClient(world.key_x.api_key, world.key_x.signing_secret)
    client.clock = time.time() + offset
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_stale"
    rejection("signature_stale")


def test_timestamp_within_five_minutes_is_accepted(world):
    client = SignedClient(world.key_x.api_key, world.key_x.signing_secret)
    client.clock = time.time() - 280
    assert client.get(ME).status_code == 200


def test_replayed_nonce_is_refused(world, client):
    headers = signing.signed_headers(
        api_key=world.key_x.api_key, secret=world.key_x.signing_secret, method="GET", path=ME
    )
    assert client.get(ME, headers=headers).status_code == 200
    replay = client.get(ME, headers=headers)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "signature_replayed"
    rejection("signature_replayed")


def test_wrong_secret_is_refused(world):
    response = SignedClient(world.key_x.api_key, world.key_y.signing_secret).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"
    event = rejection("signature_invalid")
    assert event.actor_partner == world.platform_x.code


def test_unknown_key_is_refused_and_not_recorded(world):
    response = SignedClient("afx_000000000000_forged", world.key_x.signing_secret).get(ME)
    assert response.status_code == 401
    event = rejection("signature_invalid")
    assert "forged" not in str(event.details) and event.actor_id == ""


def test_revoked_key_is_refused(world):
    services.adapter_key_revoke(actor="system:tests", key=world.key_x.key)
    response = SignedClient(world.key_x.api_key, world.key_x.signing_secret).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "key_revoked"
    rejection("key_revoked")


def test_tampered_body_is_refused(world, client):
    headers = signing.signed_headers(
        api_key=world.key_x.api_key,
        secret=world.key_x.signing_secret,
        method="POST",
        path="/api/v1/auth/token/",
        body=b'{"a": 1}',
    )
    response = client.post(ME, data='{"a": 2}', content_type="application/json", headers=headers)
    assert response.status_code == 401
    rejection("signature_invalid")


def test_missing_signature_headers_are_refused(world, client):
    response = client.get(ME, HTTP_X_AFX_KEY=world.key_x.api_key)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_missing"


def test_suspended_partner_is_refused_then_restored(world):
    client = SignedClient(world.key_x.api_key, world.key_x.signing_secret)
    services.partner_set_status(
        actor="system:tests", partner=world.platform_x, status=PartnerStatus.SUSPENDED
    )
    response = client.get(ME)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "partner_suspended"
    denial = AuditEvent.objects.filter(action=AuditAction.REQUEST_DENIED).latest("id")
    assert denial.actor_partner == world.platform_x.code
    services.partner_set_status(actor="system:tests", partner=world.platform_x, status=PartnerStatus.ACTIVE)
    assert client.get(ME).status_code == 200


def test_two_keys_rotate_and_a_third_is_refused(world):
    second = services.adapter_key_create(actor="system:tests", partner=world.platform_x)
    assert SignedClient(second.api_key, second.signing_secret).get(ME).status_code == 200
    assert SignedClient(world.key_x.api_key, world.key_x.signing_secret).get(ME).status_code == 200
    with pytest.raises(services.Conflict):
        services.adapter_key_create(actor="system:tests", partner=world.platform_x)
    services.adapter_key_revoke(actor="system:tests", key=world.key_x.key)
    services.adapter_key_create(actor="system:tests", partner=world.platform_x)


def test_secrets_are_stored_only_as_digest_or_hidden(world):
    world.key_x.key.refresh_from_db()
    assert world.key_x.key.key_digest != world.key_x.api_key
    assert world.key_x.api_key not in str(AuditEvent.objects.values_list("details", flat=True)[::1])
