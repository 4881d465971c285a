"""Signing in to the console: the password (the API's lockout), the second factor, signing out."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from audit.models import AuditEvent
from console.audit_actions import ConsoleAction
from console.models import PersonSession
from partners.audit_actions import PartnerAction
from partners.services import registry, tokens
from tests.console.conftest import PASSWORD, SIGN_IN, sign_in, with_password
from tests.factories import SYSTEM

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def officer(world):
    return with_password(world.officer_a)


def test_sign_in_opens_a_session_and_is_audited(officer):
    client = Client()
    response = sign_in(officer, client)
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    event = AuditEvent.objects.filter(action=PartnerAction.SIGN_IN).latest("id")
    assert event.actor_id == f"person:{officer.username}" and event.details == {"method": "session"}
    assert PersonSession.objects.filter(person=officer).count() == 1


def test_sign_in_goes_back_to_the_console_page_asked_for_only(officer, world):
    case_page = f"/console/cases/{world.case_a.pk}/"
    response = Client().post(
        f"{SIGN_IN}?next={case_page}", {"username": officer.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == case_page
    response = Client().post(
        SIGN_IN, {"username": officer.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/console/"


def test_a_wrong_password_is_refused_audited_and_locks_out_like_the_api(officer):
    for _ in range(4):
        response = sign_in(officer, password="wrong password!")
        assert response.status_code == 401
        assert "用户名或密码错误" in response.content.decode()
    locked = sign_in(officer, password="wrong password!")
    assert locked.status_code == 429
    assert locked.headers["Content-Type"].startswith("text/html")
    assert "登录失败次数过多" in locked.content.decode()
    # Locked: even the right password gets no session now.
    assert sign_in(officer).status_code == 429
    failures = AuditEvent.objects.filter(action=PartnerAction.SIGN_IN_FAILED, target_id=str(officer.pk))
    assert failures.count() == 4
    assert AuditEvent.objects.filter(action=PartnerAction.SIGN_IN_LOCKED).exists()
    assert not any("wrong password" in str(e.details) for e in AuditEvent.objects.all())


def test_the_api_lockout_stays_json(officer):
    from rest_framework.test import APIClient

    for _ in range(5):
        response = APIClient().post(
            "/api/v1/auth/token/", {"username": officer.username, "password": "nope nope nope"}, format="json"
        )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "sign_in_locked"


def test_sign_in_checks_csrf(officer):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(officer, client).status_code == 403
    page = client.get(SIGN_IN)
    token = page.cookies["csrftoken"].value
    response = client.post(
        SIGN_IN, {"username": officer.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_a_person_of_a_suspended_partner_is_refused(officer, world):
    registry.partner_set_status(actor=SYSTEM, code=world.unit_a.code, status="suspended")
    response = sign_in(officer)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=ConsoleAction.SIGN_IN_REFUSED, target_id=str(officer.pk)).exists()


def _throttle_reset(device: TOTPDevice) -> None:
    """django-otp makes a device wait after a wrong code (one second, doubling): skip the wait."""
    device.refresh_from_db()
    device.throttle_reset(commit=True)


def _enrol(client: Client) -> TOTPDevice:
    page = client.get("/console/second-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    assert device.config_url in page.content.decode().replace("&amp;", "&")
    wrong = client.post("/console/second-factor/", {"code": f"{(totp(device.bin_key) + 1) % 1000000:06d}"})
    assert wrong.status_code == 400
    _throttle_reset(device)
    confirmed = client.post("/console/second-factor/", {"code": f"{totp(device.bin_key):06d}"})
    assert confirmed.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_totp_enrolment_then_every_sign_in_asks_for_the_code(officer):
    client = Client()
    sign_in(officer, client)
    device = _enrol(client)
    assert AuditEvent.objects.filter(
        action=ConsoleAction.SECOND_FACTOR_ENROLLED, target_id=str(officer.pk)
    ).exists()
    assert "已绑定" in client.get("/console/second-factor/").content.decode()

    again = Client()
    response = sign_in(officer, again)
    assert response.headers["Location"].startswith("/console/sign-in/code/")
    assert again.get("/console/").status_code == 302  # no session yet: the code is still missing
    assert (
        again.post(
            "/console/sign-in/code/", {"code": f"{(totp(device.bin_key) + 1) % 1000000:06d}"}
        ).status_code
        == 401
    )
    assert AuditEvent.objects.filter(
        action=ConsoleAction.SECOND_FACTOR_FAILED, target_id=str(officer.pk)
    ).exists()
    _throttle_reset(device)
    # The next step's code: the one used to enrol cannot be used again (django-otp's `last_t`).
    passed = again.post("/console/sign-in/code/", {"code": f"{totp(device.bin_key, t0=-30):06d}"})
    assert passed.status_code == 302 and passed.headers["Location"] == "/console/"
    assert again.get("/console/").status_code == 200


def test_a_session_that_skipped_the_code_is_sent_back_to_sign_in(officer):
    client = Client()
    sign_in(officer, client)
    _enrol(client)
    skipped = Client()
    skipped.force_login(officer)  # as the admin's own login would leave it: no second factor
    response = skipped.get("/console/")
    assert response.status_code == 302 and response.headers["Location"].startswith(SIGN_IN)


@override_settings(AFX_CONSOLE_REQUIRE_TOTP=True)
def test_when_required_a_person_without_a_device_must_enrol_first(officer):
    client = Client()
    sign_in(officer, client)
    response = client.get("/console/")
    assert response.status_code == 302 and response.headers["Location"] == "/console/second-factor/"
    _enrol(client)
    assert client.get("/console/").status_code == 200


def test_sign_out_ends_the_session_and_is_audited(officer):
    client = Client()
    sign_in(officer, client)
    assert client.post("/console/sign-out/").status_code == 302
    assert client.get("/console/").status_code == 302
    assert AuditEvent.objects.filter(
        action=ConsoleAction.SIGNED_OUT, actor_id=f"person:{officer.username}"
    ).exists()
    assert not PersonSession.objects.filter(person=officer).exists()


def test_sign_out_everywhere_ends_every_session_and_token(officer):
    desk, laptop = Client(), Client()
    sign_in(officer, desk)
    sign_in(officer, laptop)
    tokens.token_issue(actor=officer, password_hash=officer.password)
    assert Session.objects.count() == 2
    assert desk.post("/console/sign-out/everywhere/").status_code == 302
    assert laptop.get("/console/").status_code == 302
    assert desk.get("/console/").status_code == 302
    assert Session.objects.count() == 0
    assert not AuthToken.objects.filter(user=officer).exists()
    event = AuditEvent.objects.get(action=ConsoleAction.SIGNED_OUT_EVERYWHERE)
    assert event.details == {"sessions": 2}


def test_each_role_lands_on_a_page_it_may_open(world):
    """After signing in, and from the header's home link (the brand), which every page shows."""
    for person, landing in (
        (world.officer_a, "/console/"),
        (world.auditor, "/console/cases/"),
        (world.administrator, "/console/audit/events/"),
        (world.operator_bank, "/console/partner/queries/"),
    ):
        client = Client()
        response = sign_in(with_password(person), client)
        assert response.headers["Location"] == landing
        page = client.get(landing)
        assert page.status_code == 200
        assert f'<a class="brand" href="{landing}">' in page.content.decode()


def test_sign_in_attempts_share_the_apis_budget_per_address(officer, monkeypatch):
    from rest_framework.settings import api_settings
    from rest_framework.test import APIClient
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "sign_in": "3/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    assert sign_in(officer).status_code == 302
    assert sign_in(officer).status_code == 302
    api = APIClient().post(TOKEN, {"username": officer.username, "password": PASSWORD}, format="json")
    assert api.status_code == 201
    assert sign_in(officer).status_code == 429
