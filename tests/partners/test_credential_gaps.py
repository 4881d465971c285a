"""The credential gaps of issue 8 item 1's second review: the current password counts towards
the lockout, no token for a password that changed meanwhile, enrolment refusals bounded and
naming nobody, no enrolment at a suspended partner, and sessions that end with the password."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from api.registry import views
from audit.choices import Outcome
from audit.models import AuditEvent
from core.actors import SystemActor
from partners.audit_actions import PartnerAction
from partners.choices import PartnerStatus
from partners.models import Person
from partners.services import people, registry, tokens

SYSTEM = SystemActor("tests")
MINE = "the first one, mine"
TOKEN = "/api/v1/auth/token/"
ENROL = "/api/v1/auth/enrol/"
PASSWORD_URL = "/api/v1/auth/password/"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def with_password(person: Person) -> Person:
    person.set_password(MINE)
    person.save(update_fields=["password"])
    return person


def token_client(person: Person) -> APIClient:
    response = APIClient().post(TOKEN, {"username": person.username, "password": MINE}, format="json")
    assert response.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_wrong_current_passwords_lock_the_password_change_like_sign_ins(world):
    """A stolen token gets no more guesses at the password than a stranger: axes counts them."""
    client = token_client(with_password(world.officer_a))
    wrong = {"current_password": "a guess", "new_password": "taken over now"}
    statuses = [client.post(PASSWORD_URL, wrong, format="json").status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]  # the fifth failure is the one that locks, as at sign-in
    right = client.post(
        PASSWORD_URL, {"current_password": MINE, "new_password": "the second one"}, format="json"
    )
    assert right.status_code == 429 and right.json()["error"]["code"] == "sign_in_locked"
    world.officer_a.refresh_from_db()
    assert world.officer_a.check_password(MINE)


def test_no_token_when_a_reset_commits_between_the_password_check_and_the_issue(world, monkeypatch):
    with_password(world.officer_a)

    def authenticate_then_reset(request: Any, **credentials: Any) -> Any:
        person = authenticate(request, **credentials)
        people.person_enrolment_reset(actor=SYSTEM, username=world.officer_a.username)
        return person

    monkeypatch.setattr(views, "authenticate", authenticate_then_reset)
    response = APIClient().post(TOKEN, {"username": "officer-a", "password": MINE}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "password_changed"
    assert not AuthToken.objects.filter(user=world.officer_a).exists()
    refused = AuditEvent.objects.filter(action=PartnerAction.TOKEN_ISSUED, outcome=Outcome.DENIED).get()
    assert refused.details == {"reason": "password_changed"}


def test_no_token_for_a_hash_other_than_the_current_one_or_an_unusable_one(world):
    old_hash = with_password(world.officer_a).password
    with_password(world.officer_a)  # a new salt: another hash for the same password
    with pytest.raises(tokens.TokenRefused):
        tokens.token_issue(actor=world.officer_a, password_hash=old_hash)
    world.officer_a.set_unusable_password()
    world.officer_a.save(update_fields=["password"])
    with pytest.raises(tokens.TokenRefused):
        tokens.token_issue(actor=world.officer_a, password_hash=world.officer_a.password)
    assert not AuthToken.objects.filter(user=world.officer_a).exists()


def enrol(username: str, code: str) -> Any:
    body = {"username": username, "code": code, "password": "chosen by the person alone"}
    return APIClient().post(ENROL, body, format="json")


def test_refused_enrolments_name_nobody_carry_the_route_and_share_the_anonymous_budget(world, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "anonymous_denials", "2/minute")
    person, _ = people.person_create(
        actor=SYSTEM, partner_code=world.unit_a.code, username="newcomer", role="officer"
    )
    assert [enrol("newcomer", f"wrong-{n}").status_code for n in range(5)] == [400] * 5
    denied = AuditEvent.objects.filter(action=PartnerAction.PERSON_ENROLLED, outcome=Outcome.DENIED)
    assert denied.count() == 3  # two within the budget, then the one saying recording stopped
    assert {event.target_id for event in denied} == {""}
    assert all(event.details["route"] == "api/v1/auth/enrol/" for event in denied)
    assert all(event.details["reason"] == "enrolment_refused" for event in denied)
    assert str(person.pk) not in {
        event.target_id for event in AuditEvent.objects.all() if event.outcome == "denied"
    }


def test_a_person_of_a_suspended_partner_cannot_enrol_and_gets_the_same_answer(world):
    _, code = people.person_create(
        actor=SYSTEM, partner_code=world.unit_a.code, username="newcomer", role="officer"
    )
    wrong = enrol("newcomer", "not the code").json()
    registry.partner_set_status(actor=SYSTEM, code=world.unit_a.code, status=PartnerStatus.SUSPENDED)
    response = enrol("newcomer", code)
    assert response.status_code == 400 and response.json() == wrong
    person = Person.objects.get(username="newcomer")
    assert not person.has_usable_password() and person.enrolment_digest  # still pending
    registry.partner_set_status(actor=SYSTEM, code=world.unit_a.code, status=PartnerStatus.ACTIVE)
    assert enrol("newcomer", code).status_code == 204


def signed_in_by_session(person: Person) -> Client:
    client = Client()
    client.force_login(person, backend=MODEL_BACKEND)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    return client


def assert_session_ended(client: Client) -> None:
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert client.get("/api/v1/me/").status_code in (401, 403)


@pytest.fixture
def second_admin(world) -> Person:
    person, _ = people.person_create(
        actor=SYSTEM, partner_code=world.exchange.code, username="second-admin", role="administrator"
    )
    return with_password(person)


def test_an_enrolment_reset_ends_the_persons_sessions(world, second_admin):
    client = signed_in_by_session(second_admin)
    people.person_enrolment_reset(actor=world.administrator, username=second_admin.username)
    assert_session_ended(client)


def test_a_password_change_ends_the_persons_other_sessions(world, second_admin):
    client = signed_in_by_session(second_admin)
    body = {"current_password": MINE, "new_password": "the second one, mine"}
    assert token_client(second_admin).post(PASSWORD_URL, body, format="json").status_code == 204
    assert_session_ended(client)


def test_a_deactivation_ends_the_persons_sessions(world, second_admin):
    client = signed_in_by_session(second_admin)
    people.person_deactivate(actor=world.administrator, username=second_admin.username)
    assert_session_ended(client)
