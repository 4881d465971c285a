"""Human sign-in: expiring tokens, revocation, throttled failures, session sign-ins; all audited."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from audit.choices import AuditAction
from audit.models import AuditEvent
from partners.models import Person

TOKEN = "/api/v1/auth/token/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def officer(world) -> Person:
    world.officer_a.set_password(PASSWORD)
    world.officer_a.save()
    return world.officer_a


def sign_in(password: str, username: str = "officer-a") -> Any:
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def test_token_is_issued_expires_and_is_audited(officer):
    response = sign_in(PASSWORD)
    assert response.status_code == 201
    body = response.json()
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=7) < expires_at - timezone.now() <= timedelta(hours=8)
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.get("/api/v1/me/").json()["identity"] == "person:officer-a"
    event = AuditEvent.objects.filter(action=AuditAction.TOKEN_ISSUED).latest("id")
    assert event.actor_id == "person:officer-a"
    assert body["token"] not in str(event.details) and body["token"][:8] != event.target_id[:9]


def test_expired_token_is_refused(officer):
    token = sign_in(PASSWORD).json()["token"]
    AuthToken.objects.filter(user=officer).update(expiry=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_revoked_token_stops_working(officer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {sign_in(PASSWORD).json()['token']}")
    assert client.delete(TOKEN).status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKED, actor_id="person:officer-a").exists()


def test_wrong_password_is_refused_and_audited_without_the_attempt(officer):
    response = sign_in("wrong password 13800138000")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    event = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).latest("id")
    assert event.details == {"username_known": True}
    assert event.target_id == str(officer.pk)


def test_unknown_username_is_not_recorded(officer):
    sign_in(PASSWORD, username="13800138000")
    event = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).latest("id")
    assert event.details == {"username_known": False} and event.target_id == ""
    assert "13800138000" not in str(AuditEvent.objects.values_list("details", "target_id"))


def test_deactivated_person_cannot_sign_in(officer):
    from partners.services import person_deactivate

    person_deactivate(actor="system:tests", person=officer)
    assert sign_in(PASSWORD).status_code == 401


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_username_out(officer):
    statuses = [sign_in("wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = sign_in(PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "sign_in_locked"
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_LOCKED).exists()


def test_session_sign_in_through_the_admin_is_audited(world):
    world.administrator.set_password(PASSWORD)
    world.administrator.save()
    from django.test import Client

    client = Client()
    response = client.post(
        "/admin/login/", {"username": "administrator", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.get("/admin/partners/partner/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN, actor_id="person:administrator").exists()


def test_non_administrators_cannot_use_the_admin(world):
    world.officer_a.set_password(PASSWORD)
    world.officer_a.save()
    from django.test import Client

    client = Client()
    client.post("/admin/login/", {"username": "officer-a", "password": PASSWORD})
    assert client.get("/admin/partners/partner/").status_code == 302
