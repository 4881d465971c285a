"""Credentials come only from a person's own sign-in: no admin page mints a token or sets a
password for someone else; tokens are refused to the inactive and the suspended, capped per
person, and every one issued or revoked is recorded."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from audit.choices import Outcome
from audit.models import AuditEvent
from core.actors import SystemActor
from core.errors import Forbidden, NotFound
from partners.audit_actions import PartnerAction
from partners.choices import PartnerStatus
from partners.models import Partner, Person
from partners.services import people, registry, tokens

SYSTEM = SystemActor("tests")

PASSWORD = "correct horse battery staple"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def admin_client(world) -> Client:
    client = Client()
    client.force_login(world.administrator, backend="django.contrib.auth.backends.ModelBackend")
    return client


def issue(person: Person) -> tuple[str, object]:
    """A token as `token_issue` makes it after a sign-in: the person's password, its hash."""
    person.set_password("a password of their own")
    person.save(update_fields=["password"])
    return tokens.token_issue(actor=person, password_hash=person.password)


def test_the_admin_has_no_page_that_mints_a_token(world, admin_client):
    assert admin_client.get("/admin/knox/authtoken/add/").status_code == 403
    response = admin_client.post(
        "/admin/knox/authtoken/add/", {"user": world.officer_a.pk, "expiry": "2099-01-01 00:00:00"}
    )
    assert response.status_code == 403
    assert not AuthToken.objects.filter(user=world.officer_a).exists()
    assert b"authtoken/add/" not in admin_client.get("/admin/knox/authtoken/").content


def test_an_administrator_revokes_a_token_and_is_recorded_as_the_actor(world, admin_client):
    issue(world.officer_a)
    token = AuthToken.objects.get(user=world.officer_a)
    listing = admin_client.get("/admin/knox/authtoken/")
    assert listing.status_code == 200 and token.token_key.encode() in listing.content
    change = f"/admin/knox/authtoken/{token.pk}/change/"
    assert admin_client.post(change, {"expiry": "2099-01-01 00:00:00"}).status_code == 403
    assert admin_client.post(f"/admin/knox/authtoken/{token.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post("/admin/knox/authtoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert not AuthToken.objects.filter(user=world.officer_a).exists()
    event = AuditEvent.objects.filter(action=PartnerAction.TOKEN_REVOKED).get()
    assert event.actor_id == "person:administrator"
    assert (event.target_type, event.target_id) == ("partners.person", str(world.officer_a.pk))
    assert event.details == {"token_key": token.token_key}


def test_only_the_holder_or_an_administrator_revokes_a_token(world):
    issue(world.officer_a)
    token = AuthToken.objects.get(user=world.officer_a)
    for someone_else in (world.supervisor_a, world.auditor, world.officer_b):
        with pytest.raises(NotFound):  # somebody else's token does not exist for them
            tokens.token_revoke(actor=someone_else, digest=token.digest)
    tokens.token_revoke(actor=world.officer_a, digest=token.digest)
    assert not AuthToken.objects.exists()


def test_the_admin_sets_no_password(world, admin_client):
    """Guard: the person admin is not Django's UserAdmin, so it has no password page or field."""
    world.officer_a.set_password(PASSWORD)
    world.officer_a.save()
    person = f"/admin/partners/person/{world.officer_a.pk}"
    chosen = "chosen by the administrator"
    admin_client.post(f"{person}/password/", {"password1": chosen, "password2": chosen})
    admin_client.post(f"{person}/change/", {"password": chosen, "username": "officer-a"})
    world.officer_a.refresh_from_db()
    assert world.officer_a.check_password(PASSWORD)


def test_no_token_for_a_person_of_a_suspended_partner(world):
    registry.partner_set_status(actor=SYSTEM, code=world.unit_a.code, status=PartnerStatus.SUSPENDED)
    with pytest.raises(Forbidden) as refused:
        issue(world.officer_a)
    assert refused.value.code == "partner_suspended"
    assert not AuthToken.objects.filter(user=world.officer_a).exists()
    event = AuditEvent.objects.filter(action=PartnerAction.TOKEN_ISSUED).get()
    assert (event.outcome, event.details) == (Outcome.DENIED, {"reason": "partner_suspended"})


def test_no_token_for_an_inactive_person(world):
    people.person_deactivate(actor=SYSTEM, username=world.officer_a.username)
    with pytest.raises(Forbidden) as refused:
        issue(world.officer_a)
    assert refused.value.code == "person_inactive"
    assert not AuthToken.objects.filter(user=world.officer_a).exists()


def test_signing_in_with_the_right_password_while_suspended_is_refused_once_recorded(world):
    world.officer_a.set_password(PASSWORD)
    world.officer_a.save()
    registry.partner_set_status(actor=SYSTEM, code=world.unit_a.code, status=PartnerStatus.SUSPENDED)
    response = APIClient().post(TOKEN, {"username": "officer-a", "password": PASSWORD}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "partner_suspended"
    assert not AuthToken.objects.filter(user=world.officer_a).exists()
    denials = AuditEvent.objects.filter(outcome=Outcome.DENIED).values_list("action", flat=True)
    assert list(denials) == [PartnerAction.TOKEN_ISSUED]  # not again as a request_denied


@override_settings(REST_KNOX={"TOKEN_TTL": timedelta(hours=8), "TOKEN_LIMIT_PER_USER": 2})
def test_the_token_limit_revokes_the_oldest_and_records_it(world):
    expired, _ = AuthToken.objects.create(user=world.officer_a, expiry=timedelta(hours=1))
    AuthToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(minutes=1))
    first, second, third = (issue(world.officer_a)[0] for _ in range(3))
    live = AuthToken.objects.filter(user=world.officer_a, expiry__gt=timezone.now())
    assert sorted(live.values_list("token_key", flat=True)) == sorted(t[:15] for t in (second, third))
    assert AuthToken.objects.filter(pk=expired.pk).exists()  # expired tokens do not count
    revoked = AuditEvent.objects.filter(action=PartnerAction.TOKEN_REVOKED).get()
    assert revoked.actor_id == "person:officer-a"
    assert revoked.details == {"token_key": first[:15], "reason": "token_limit"}


def test_an_administrator_of_a_suspended_exchange_gets_no_admin_session(world, admin_client):
    world.administrator.set_password(PASSWORD)
    world.administrator.save()
    # Not through the service, which refuses it: a state left from before that rule.
    Partner.objects.filter(pk=world.exchange.pk).update(status=PartnerStatus.SUSPENDED)
    assert admin_client.get("/admin/partners/partner/").status_code == 302  # the open session too
    sign_ins = AuditEvent.objects.filter(action=PartnerAction.SIGN_IN).count()
    client = Client()
    client.post("/admin/login/", {"username": "administrator", "password": PASSWORD, "next": "/admin/"})
    assert client.get("/admin/partners/partner/").status_code == 302
    assert AuditEvent.objects.filter(action=PartnerAction.SIGN_IN).count() == sign_ins


def test_deactivating_a_person_records_each_token_revoked(world):
    """Issue 8 item 1: one `token_revoked` per token, not a count on the deactivation."""
    first, _ = AuthToken.objects.create(user=world.officer_a)
    second, _ = AuthToken.objects.create(user=world.officer_a)
    people.person_deactivate(actor=world.administrator, username=world.officer_a.username)
    assert not AuthToken.objects.filter(user=world.officer_a).exists()
    revoked = AuditEvent.objects.filter(action=PartnerAction.TOKEN_REVOKED)
    assert sorted(e.details["token_key"] for e in revoked) == sorted([first.token_key, second.token_key])
    for event in revoked:
        assert (event.actor_id, event.target_type, event.target_id) == (
            "person:administrator",
            "partners.person",
            str(world.officer_a.pk),
        )
        assert event.details["reason"] == "person_deactivated"
    deactivated = AuditEvent.objects.filter(action=PartnerAction.PERSON_DEACTIVATED).get()
    assert deactivated.target_id == str(world.officer_a.pk)
