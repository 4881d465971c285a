"""A person's password is theirs alone (issue 8, item 1): an administrator creates a person
with an enrolment code, never a password; the person enrols with the code, changes their
password themselves, and an administrator can only start their enrolment over."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from core.actors import SystemActor
from core.errors import Conflict, Forbidden, Invalid, NotFound
from partners.audit_actions import PartnerAction
from partners.enrolment import ENROLMENT_LIFETIME
from partners.models import Person
from partners.services import credentials, people

ENROL = "/api/v1/auth/enrol/"
PASSWORD_URL = "/api/v1/auth/password/"
TOKEN = "/api/v1/auth/token/"
CHOSEN = "chosen by the person alone"
SYSTEM = SystemActor("tests")


@pytest.fixture
def newcomer(world) -> tuple[Person, str]:
    return people.person_create(
        actor=SYSTEM, partner_code=world.unit_a.code, username="newcomer", role="officer"
    )


def enrol(username: str, code: str, password: str = CHOSEN) -> Any:
    return APIClient().post(ENROL, {"username": username, "code": code, "password": password}, format="json")


def sign_in(username: str, password: str) -> Any:
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def test_a_new_person_has_no_usable_password_and_a_code_kept_only_as_a_digest(newcomer):
    person, code = newcomer
    assert not person.has_usable_password()
    assert len(code) >= 32  # 24 random bytes, base64url: 192 bits
    stored = Person.objects.filter(pk=person.pk).values().get()
    assert code not in str(stored) and len(stored["enrolment_digest"]) == 64
    expires = stored["enrolment_expires_at"] - timezone.now()
    assert ENROLMENT_LIFETIME - timedelta(minutes=1) < expires <= ENROLMENT_LIFETIME
    created = AuditEvent.objects.filter(action=PartnerAction.PERSON_CREATED, target_id=str(person.pk)).get()
    assert code not in str(created.details)


def test_an_unenrolled_person_cannot_sign_in_through_the_api_or_the_admin(world, newcomer):
    person, code = newcomer
    for guess in ("", code, "afx-demo-password"):
        response = sign_in("newcomer", guess or "x")
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_credentials"
    admin, admin_code = people.person_create(
        actor=SYSTEM, partner_code=world.exchange.code, username="new-admin", role="administrator"
    )
    client = Client()
    client.post("/admin/login/", {"username": "new-admin", "password": admin_code, "next": "/admin/"})
    assert client.get("/admin/partners/partner/").status_code == 302
    assert not AuthToken.objects.filter(user__in=[person, admin]).exists()


def test_the_person_enrols_with_the_code_then_signs_in_with_their_own_password(newcomer):
    person, code = newcomer
    response = enrol("newcomer", code)
    assert response.status_code == 204
    person.refresh_from_db()
    assert person.check_password(CHOSEN) and not person.enrolment_digest
    event = AuditEvent.objects.filter(action=PartnerAction.PERSON_ENROLLED).get()
    assert (event.actor_id, event.outcome, event.target_id) == ("person:newcomer", "allowed", str(person.pk))
    assert CHOSEN not in str(event.details) and code not in str(event.details)
    assert sign_in("newcomer", CHOSEN).status_code == 201
    again = enrol("newcomer", code, "a second choice, too late")  # single use
    assert again.status_code == 400 and again.json()["error"]["code"] == "enrolment_refused"
    person.refresh_from_db()
    assert person.check_password(CHOSEN)


def test_every_refused_enrolment_gets_the_same_answer_and_is_recorded(world, newcomer):
    _, code = newcomer
    _, expired_code = people.person_create(
        actor=SYSTEM, partner_code=world.unit_a.code, username="late", role="officer"
    )
    Person.objects.filter(username="late").update(enrolment_expires_at=timezone.now() - timedelta(seconds=1))
    _, deactivated_code = people.person_create(
        actor=SYSTEM, partner_code=world.unit_a.code, username="gone", role="officer"
    )
    people.person_deactivate(actor=SYSTEM, username=Person.objects.get(username="gone").username)
    attempts = [
        ("nobody-13800138000", code),  # unknown username
        ("newcomer", code[:-2] + "xx"),  # wrong code
        ("newcomer", expired_code),  # someone else's code
        ("late", expired_code),  # expired
        ("gone", deactivated_code),  # deactivated (its code withdrawn)
        ("officer-a", "anything"),  # enrolled long ago: no pending code
    ]
    bodies = []
    for username, attempt in attempts:
        response = enrol(username, attempt)
        assert response.status_code == 400
        bodies.append(response.json())
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["error"]["code"] == "enrolment_refused" and bodies[0]["error"]["fields"] == {}
    assert "13800138000" not in str(bodies[0])
    denied = AuditEvent.objects.filter(action=PartnerAction.PERSON_ENROLLED, outcome=Outcome.DENIED)
    assert denied.count() == len(attempts)
    assert "13800138000" not in str(list(denied.values()))
    assert not AuditEvent.objects.filter(action=AuditAction.REQUEST_DENIED).exists()  # once, not twice
    for username in ("newcomer", "late", "gone"):
        assert not Person.objects.get(username=username).has_usable_password()


def test_the_enrolment_password_must_pass_the_validators_and_the_code_stays_valid(newcomer):
    person, code = newcomer
    response = enrol("newcomer", code, "qz7")
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["password"] and "qz7" not in str(error)
    person.refresh_from_db()
    assert not person.has_usable_password() and person.enrolment_digest
    assert enrol("newcomer", code).status_code == 204


def test_enrolment_is_throttled_on_its_own_budget(newcomer, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "enrol", "2/minute")
    _, code = newcomer
    assert [enrol("newcomer", "wrong").status_code for _ in range(2)] == [400, 400]
    assert enrol("newcomer", code).status_code == 429
    assert sign_in("officer-a", "not it").status_code == 401  # sign-in keeps its own budget


def test_a_person_changes_their_own_password_and_their_other_tokens_end(world):
    world.officer_a.set_password("the first one, mine")
    world.officer_a.save()
    kept, kept_token = AuthToken.objects.create(user=world.officer_a)
    other, _ = AuthToken.objects.create(user=world.officer_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {kept_token}")
    body = {"current_password": "the first one, mine", "new_password": "the second one, mine"}
    assert client.post(PASSWORD_URL, body, format="json").status_code == 204
    world.officer_a.refresh_from_db()
    assert world.officer_a.check_password("the second one, mine")
    assert list(AuthToken.objects.filter(user=world.officer_a)) == [kept]
    revoked = AuditEvent.objects.filter(action=PartnerAction.TOKEN_REVOKED).get()
    assert revoked.actor_id == "person:officer-a"
    assert revoked.details == {"token_key": other.token_key, "reason": "password_changed"}
    changed = AuditEvent.objects.filter(action=PartnerAction.PASSWORD_CHANGED).get()
    assert (changed.actor_id, changed.outcome, changed.target_id) == (
        "person:officer-a",
        "allowed",
        str(world.officer_a.pk),
    )
    assert "mine" not in str(changed.details)


def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(world):
    world.officer_a.set_password("the first one, mine")
    world.officer_a.save()
    _, token = AuthToken.objects.create(user=world.officer_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    wrong = client.post(
        PASSWORD_URL, {"current_password": "a stolen token", "new_password": "taken over now"}, format="json"
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_password"
    weak = client.post(
        PASSWORD_URL, {"current_password": "the first one, mine", "new_password": "short"}, format="json"
    )
    assert weak.status_code == 400 and list(weak.json()["error"]["fields"]) == ["new_password"]
    world.officer_a.refresh_from_db()
    assert world.officer_a.check_password("the first one, mine")
    denied = AuditEvent.objects.filter(action=PartnerAction.PASSWORD_CHANGED, outcome=Outcome.DENIED).get()
    assert denied.details == {"reason": "wrong_password"}
    assert APIClient().post(PASSWORD_URL, {}, format="json").status_code == 401


def test_an_administrator_starts_an_enrolment_over_and_still_never_knows_the_password(world):
    world.officer_a.set_password("lost by the officer")
    world.officer_a.save()
    first, _ = AuthToken.objects.create(user=world.officer_a)
    second, _ = AuthToken.objects.create(user=world.officer_a)
    code = people.person_enrolment_reset(actor=world.administrator, username=world.officer_a.username)
    world.officer_a.refresh_from_db()
    assert not world.officer_a.has_usable_password() and world.officer_a.enrolment_digest
    assert sign_in("officer-a", "lost by the officer").status_code == 401
    assert not AuthToken.objects.filter(user=world.officer_a).exists()
    revoked = AuditEvent.objects.filter(action=PartnerAction.TOKEN_REVOKED).order_by("id")
    assert sorted(e.details["token_key"] for e in revoked) == sorted([first.token_key, second.token_key])
    assert {(e.actor_id, e.target_id, e.details["reason"]) for e in revoked} == {
        ("person:administrator", str(world.officer_a.pk), "enrolment_reset")
    }
    reset = AuditEvent.objects.filter(action=PartnerAction.ENROLMENT_RESET).get()
    assert reset.actor_id == "person:administrator" and code not in str(reset.details)
    second_half = people.person_enrolment_witness(actor=world.supervisor_a, username=world.officer_a.username)
    assert enrol("officer-a", code + second_half).status_code == 204
    assert sign_in("officer-a", CHOSEN).status_code == 201


def test_only_administrators_start_an_enrolment_over_and_not_for_the_deactivated(world):
    for someone in (world.officer_a, world.supervisor_a, world.operator_bank):
        with pytest.raises(NotFound):  # officer B is not someone they can see
            people.person_enrolment_reset(actor=someone, username=world.officer_b.username)
    with pytest.raises(Forbidden):  # the auditor sees everyone and changes no one
        people.person_enrolment_reset(actor=world.auditor, username=world.officer_b.username)
    people.person_deactivate(actor=SYSTEM, username=world.officer_b.username)
    with pytest.raises(Conflict):
        people.person_enrolment_reset(actor=world.administrator, username=world.officer_b.username)
    with pytest.raises(Forbidden):
        people.person_create(
            actor=world.officer_a, partner_code=world.unit_a.code, username="mine", role="officer"
        )


def test_person_create_takes_no_password(world):
    with pytest.raises(TypeError):
        people.person_create(  # type: ignore[call-arg]
            actor=SYSTEM,
            partner_code=world.unit_a.code,
            username="p",
            role="officer",
            password="chosen for them",
        )


def _code_on(response) -> str:
    """The one enrolment code the admin rendered in `response`."""
    return response.content.decode().split('<code class="enrolment-code">')[1].split("<")[0]


def test_the_admin_shows_an_enrolment_code_once_never_a_password(world):
    client = Client()
    client.force_login(world.administrator, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/admin/partners/person/add/",
        {"username": "west.officer", "partner": world.unit_a.pk, "role": "officer"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "west.officer" in page and 'type="password"' not in page
    code = _code_on(response)
    person = Person.objects.get(username="west.officer")
    assert not person.has_usable_password()
    response = client.post(
        "/admin/partners/person/", {"action": "reset_enrolment", "_selected_action": [person.pk]}
    )
    new_code = _code_on(response)
    assert new_code != code
    assert enrol("west.officer", code).status_code == 400  # the first code was replaced
    second_half = people.person_enrolment_witness(actor=world.supervisor_a, username=person.username)
    assert enrol("west.officer", new_code + second_half).status_code == 204
    assert AuditEvent.objects.filter(
        action=PartnerAction.ENROLMENT_RESET, actor_id="person:administrator"
    ).exists()


def test_the_admin_never_puts_an_enrolment_code_in_a_message_cookie(world):
    """Issue 8 item 1: `messages` is a signed, readable cookie; the code is in the page only."""
    client = Client()
    client.force_login(world.administrator, backend="django.contrib.auth.backends.ModelBackend")
    added = client.post(
        "/admin/partners/person/add/",
        {"username": "east.officer", "partner": world.unit_a.pk, "role": "officer"},
    )
    person = Person.objects.get(username="east.officer")
    reset = client.post(
        "/admin/partners/person/", {"action": "reset_enrolment", "_selected_action": [person.pk]}
    )
    for response, code in ((added, _code_on(added)), (reset, _code_on(reset))):
        assert "no-store" in response["Cache-Control"]
        assert all(code not in morsel.value for morsel in response.cookies.values())
        assert all(code not in morsel.value for morsel in client.cookies.values())
        assert code not in client.get("/admin/partners/person/").content.decode()


def test_invalid_enrolment_bodies_are_clean_400s(db):
    response = APIClient().post(ENROL, {"username": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"code", "password"}
    with pytest.raises(Invalid):
        credentials.person_enrol(username="", code="", password="")


def test_the_schema_documents_enrolment_and_password_change_with_their_refusals(db):
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    enrol_op = schema["paths"]["/api/v1/auth/enrol/"]["post"]
    password_op = schema["paths"]["/api/v1/auth/password/"]["post"]
    assert set(enrol_op["responses"]) == {"204", "400", "413", "415", "429", "500"}
    assert enrol_op["security"] == [{}]  # anonymous: no credential is read
    assert "enrolment_refused" in enrol_op["responses"]["400"]["description"]
    assert {"204", "400", "401", "429"} <= set(password_op["responses"])
    assert password_op["security"] == [{"tokenAuth": []}]
    assert "wrong_password" in password_op["responses"]["400"]["description"]
    for operation in (enrol_op, password_op):
        error = operation["responses"]["400"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}
