"""Human sign-in: expiring tokens, revocation, throttled failures, session sign-ins; all audited."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client, override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from audit.models import AuditEvent
from core.actors import SystemActor
from partners.audit_actions import PartnerAction
from partners.choices import PartnerKind
from partners.models import Person
from partners.services import people, tokens
from partners.sign_in import attempted_username_digest
from tests import factories

TOKEN = "/api/v1/auth/token/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def officer(db) -> Person:
    """One officer who knows their password: the whole world is not needed to sign in."""
    person = factories.person(factories.unit(), "officer", "officer-a")
    person.set_password(PASSWORD)
    person.save()
    return person


def administrator(password: str = PASSWORD) -> Person:
    person = factories.person(
        factories.partner("exchange", PartnerKind.EXCHANGE), "administrator", "administrator"
    )
    person.set_password(password)
    person.save()
    return person


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
    event = AuditEvent.objects.filter(action=PartnerAction.TOKEN_ISSUED).latest("id")
    assert event.actor_id == "person:officer-a"
    assert (event.target_type, event.target_id) == ("partners.person", str(officer.pk))
    # Only knox's public key prefix is recorded, never the token.
    assert event.details["token_key"] == body["token"][:15] and body["token"] not in str(event.details)


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
    assert AuditEvent.objects.filter(action=PartnerAction.TOKEN_REVOKED, actor_id="person:officer-a").exists()


def test_wrong_password_is_refused_and_audited_without_the_attempt(officer):
    response = sign_in("wrong password 13800138000")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    event = AuditEvent.objects.filter(action=PartnerAction.SIGN_IN_FAILED).latest("id")
    assert event.details == {"username_known": True}
    assert event.target_id == str(officer.pk)


def test_unknown_username_is_not_recorded(officer):
    sign_in(PASSWORD, username="13800138000")
    event = AuditEvent.objects.filter(action=PartnerAction.SIGN_IN_FAILED).latest("id")
    assert event.details == {"username_known": False} and event.target_id == ""
    assert "13800138000" not in str(AuditEvent.objects.values_list("details", "target_id"))


def test_deactivated_person_cannot_sign_in(officer):
    people.person_deactivate(actor=SystemActor("tests"), username=officer.username)
    assert sign_in(PASSWORD).status_code == 401


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_username_out(officer):
    statuses = [sign_in("wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = sign_in(PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "sign_in_locked"
    assert AuditEvent.objects.filter(action=PartnerAction.SIGN_IN_LOCKED).exists()


def test_session_sign_in_through_the_admin_is_audited(db):
    administrator()

    client = Client()
    response = client.post(
        "/admin/login/", {"username": "administrator", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.get("/admin/partners/partner/").status_code == 200
    assert AuditEvent.objects.filter(action=PartnerAction.SIGN_IN, actor_id="person:administrator").exists()


def test_non_administrators_cannot_use_the_admin(officer):
    client = Client()
    client.post("/admin/login/", {"username": "officer-a", "password": PASSWORD})
    assert client.get("/admin/partners/partner/").status_code == 302


PHONE = "13800138000"


@override_settings(AXES_ENABLE_ACCESS_FAILURE_LOG=True)
def test_attempted_usernames_are_kept_by_axes_only_as_a_keyed_digest(officer):
    sign_in("wrong", username=PHONE)
    Client().post("/admin/login/", {"username": PHONE, "password": "wrong", "next": "/admin/"})
    administrator()
    Client().post("/admin/login/", {"username": "administrator", "password": PASSWORD})
    digest = attempted_username_digest(None, {"username": PHONE})
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {digest}
    assert set(AccessFailureLog.objects.values_list("username", flat=True)) == {digest}
    assert not AccessLog.objects.exists()  # successful sign-ins are in the audit log instead
    kept = [list(model.objects.values()) for model in (AccessAttempt, AccessFailureLog, AccessLog)]
    assert PHONE not in str(kept)
    assert PHONE not in str(list(AuditEvent.objects.values()))
    assert digest != attempted_username_digest(None, {"username": "13800138001"})


def test_lockout_still_counts_one_username_from_one_address(officer):
    supervisor = factories.person(officer.partner, "supervisor", "supervisor-a")
    supervisor.set_password(PASSWORD)
    supervisor.save()
    statuses = [sign_in("wrong").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    assert sign_in(PASSWORD).status_code == 429
    assert sign_in(PASSWORD, username="supervisor-a").status_code == 201


def test_failed_sign_ins_from_an_address_do_not_stop_a_sign_out(officer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {sign_in(PASSWORD).json()['token']}")
    assert [sign_in("wrong", username=f"nobody-{n}").status_code for n in range(40)][-1] == 429
    assert client.delete(TOKEN).status_code == 204


def test_sign_out_has_a_budget_of_its_own(officer, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "sign_in", "2/minute")
    issued = [tokens.token_issue(actor=officer, password_hash=officer.password)[0] for _ in range(3)]
    assert [sign_in(PASSWORD).status_code for _ in range(3)] == [201, 201, 429]
    for token in issued:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.delete(TOKEN).status_code == 204
