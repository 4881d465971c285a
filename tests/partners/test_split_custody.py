"""Split custody of enrolment codes (issue 8 item 1, second review): the administrator who makes
a code sees only its first half; a witness who is not that administrator takes the second,
once, so nobody alone holds a whole code and enrols as someone else."""

from __future__ import annotations

from typing import Any

from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEvent
from core.actors import SystemActor
from partners.audit_actions import PartnerAction
from partners.models import Enrolment, Person
from partners.services import people
from tests.clients import token_client

SYSTEM = SystemActor("tests")
ENROL = "/api/v1/auth/enrol/"
CHOSEN = "chosen by the person alone"


def witness_url(person: Person) -> str:
    return f"/api/v1/people/{person.username}/enrolment-witness/"


def enrol(username: str, code: str) -> Any:
    return APIClient().post(ENROL, {"username": username, "code": code, "password": CHOSEN}, format="json")


def another_administrator(world: Any) -> Person:
    person, _ = people.person_create(
        actor=SYSTEM, partner_code=world.exchange.code, username="second-admin", role="administrator"
    )
    return person


def test_the_administrators_half_alone_does_not_enrol_and_the_supervisor_witnesses_once(world):
    first_half = people.person_enrolment_reset(actor=world.administrator, username=world.officer_a.username)
    assert enrol("officer-a", first_half).status_code == 400
    stored = Enrolment.objects.filter(person=world.officer_a).values().get()
    assert first_half not in str(stored)
    assert token_client(world.administrator).post(witness_url(world.officer_a)).status_code == 404
    witness = token_client(world.supervisor_a)
    released = witness.post(witness_url(world.officer_a))
    assert released.status_code == 200 and "no-store" in released["Cache-Control"]
    second_half = released.json()["code_half"]
    again = witness.post(witness_url(world.officer_a))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_released"
    assert second_half not in str(again.json())
    event = AuditEvent.objects.filter(action=PartnerAction.ENROLMENT_WITNESSED).get()
    assert (event.actor_id, event.target_id) == ("person:supervisor-a", str(world.officer_a.pk))
    assert event.details["made_by"] == "person:administrator" and second_half not in str(event.details)
    assert first_half not in str(list(AuditEvent.objects.values()))
    assert enrol("officer-a", second_half).status_code == 400
    assert enrol("officer-a", first_half + second_half).status_code == 204
    enrolled = AuditEvent.objects.filter(action=PartnerAction.PERSON_ENROLLED, outcome="allowed").get()
    assert enrolled.details == {"made_by": "person:administrator", "witness": "person:supervisor-a"}
    assert not Enrolment.objects.filter(person=world.officer_a).exists()


def test_without_a_supervisor_the_witness_is_another_administrator_never_the_maker(world):
    other = another_administrator(world)
    first_half = people.person_enrolment_reset(
        actor=world.administrator, username=world.operator_bank.username
    )
    for not_the_witness in (world.administrator, world.supervisor_a, world.auditor):
        response = token_client(not_the_witness).post(witness_url(world.operator_bank))
        assert response.status_code in (403, 404)
    missing = token_client(other).post("/api/v1/people/nobody-at-all/enrolment-witness/")
    assert missing.status_code == 404
    response = token_client(other).post(witness_url(world.operator_bank))
    assert response.status_code == 200
    assert enrol(world.operator_bank.username, first_half + response.json()["code_half"]).status_code == 204


def test_the_maker_is_never_the_witness_even_when_another_administrator_made_the_person(world):
    """A person created in the admin by one administrator: only another one witnesses."""
    other = another_administrator(world)
    newcomer, first_half = people.person_create(
        actor=other, partner_code=world.exchange.code, username="third-admin", role="administrator"
    )
    assert token_client(other).post(witness_url(newcomer)).status_code == 404
    response = token_client(world.administrator).post(witness_url(newcomer))
    assert response.status_code == 200
    assert enrol("third-admin", first_half + response.json()["code_half"]).status_code == 204


def test_a_code_made_at_the_shell_is_whole_and_has_nothing_to_witness(world):
    code = people.person_enrolment_reset(actor=SYSTEM, username=world.officer_a.username)
    assert token_client(world.supervisor_a).post(witness_url(world.officer_a)).status_code == 404
    assert enrol("officer-a", code).status_code == 204


def test_a_reset_takes_back_a_half_not_yet_released(world):
    people.person_enrolment_reset(actor=world.administrator, username=world.officer_a.username)
    released = people.person_enrolment_witness(actor=world.supervisor_a, username=world.officer_a.username)
    first_half = people.person_enrolment_reset(actor=world.administrator, username=world.officer_a.username)
    assert enrol("officer-a", first_half + released).status_code == 400
    new_half = people.person_enrolment_witness(actor=world.supervisor_a, username=world.officer_a.username)
    assert new_half != released
    assert enrol("officer-a", first_half + new_half).status_code == 204


def test_an_administrator_witnesses_in_the_admin_with_the_half_in_the_page(world):
    other = another_administrator(world)
    first_half = people.person_enrolment_reset(
        actor=world.administrator, username=world.operator_bank.username
    )
    client = Client()
    client.force_login(other, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/admin/partners/person/",
        {"action": "witness_enrolment", "_selected_action": [world.operator_bank.pk]},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    half = response.content.decode().split('<code class="enrolment-code">')[1].split("<")[0]
    assert enrol(world.operator_bank.username, first_half + half).status_code == 204
