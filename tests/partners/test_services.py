"""Registry services: validation, grants and their expiry, suspension, and who may act."""

from datetime import timedelta

import pytest
from django.utils import timezone
from guardian.shortcuts import get_perms

from audit.choices import Outcome
from audit.models import AuditEvent
from core.actors import SystemActor
from core.errors import Conflict, Forbidden, Invalid
from partners import selectors, services
from partners.audit_actions import PartnerAction
from partners.choices import Delivery, PartnerKind, PartnerStatus, RequestKind
from partners.models import Grant, Partner

SYSTEM = SystemActor("tests")


def test_partner_reachability_is_validated(db):
    with pytest.raises(Invalid):
        services.partner_create(
            actor=SYSTEM,
            code="p",
            name="P",
            kind=PartnerKind.PAYMENT_PLATFORM,
            delivery=Delivery.PUSH,
            answers=[RequestKind.ORDER_LOOKUP],
        )
    with pytest.raises(Invalid):
        services.partner_create(
            actor=SYSTEM,
            code="b",
            name="B",
            kind=PartnerKind.BANK,
            delivery=Delivery.PULL,
            answers=[RequestKind.ORDER_LOOKUP],
        )
    with pytest.raises(Invalid):
        services.partner_create(
            actor=SYSTEM, code="u", name="U", kind=PartnerKind.POLICE_UNIT, delivery=Delivery.PULL
        )
    assert not Partner.objects.exists()


def test_duplicate_code_conflicts(world):
    with pytest.raises(Conflict):
        services.partner_create(actor=SYSTEM, code="unit-a", name="again", kind=PartnerKind.POLICE_UNIT)


def test_roles_must_fit_the_partner(world):
    with pytest.raises(Invalid):
        services.person_create(actor=SYSTEM, partner=world.bank, username="x", role="officer")
    with pytest.raises(Invalid):
        services.person_create(actor=SYSTEM, partner=world.unit_a, username="y", role="auditor")


def test_only_administrators_act(world):
    for actor in (world.officer_a, world.auditor, world.operator_bank):
        with pytest.raises(Forbidden):
            services.partner_set_status(actor=actor, partner=world.bank, status=PartnerStatus.SUSPENDED)
    services.partner_set_status(actor=world.administrator, partner=world.bank, status=PartnerStatus.SUSPENDED)
    event = AuditEvent.objects.filter(action=PartnerAction.PARTNER_SUSPENDED).get()
    assert event.actor_id == "person:administrator" and event.target_id == str(world.bank.pk)


def test_grant_is_a_guardian_object_permission_of_the_unit(world):
    assert get_perms(world.officer_a, world.platform_x) == ["send_order_lookup"]
    assert get_perms(world.officer_b, world.platform_x) == []


def test_grant_expiry(world):
    now = timezone.now()
    assert selectors.may_send(actor=world.officer_a, partner=world.platform_x, kind=RequestKind.ORDER_LOOKUP)
    later = world.grant_a_x.expires_at + timedelta(seconds=1)
    assert not selectors.may_send(
        actor=world.officer_a, partner=world.platform_x, kind=RequestKind.ORDER_LOOKUP, at=later
    )
    assert not selectors.may_send(
        actor=world.officer_b, partner=world.platform_x, kind=RequestKind.ORDER_LOOKUP
    )
    services.grant_create(
        actor=SYSTEM,
        unit=world.unit_a,
        partner=world.platform_x,
        kind=RequestKind.ORDER_LOOKUP,
        expires_at=now + timedelta(days=400),
    )
    assert Grant.objects.count() == 2  # renewed in place, not duplicated
    assert selectors.may_send(
        actor=world.officer_a, partner=world.platform_x, kind=RequestKind.ORDER_LOOKUP, at=later
    )
    renewal = AuditEvent.objects.filter(action=PartnerAction.GRANT_CREATED).latest("id")
    assert renewal.details["renewed"] is True


def test_expired_grants_disappear_from_the_partner_directory(world, client):
    from tests.clients import token_client

    Grant.objects.filter(pk=world.grant_a_x.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    api = token_client(world.officer_a)
    assert api.get(f"/api/v1/partners/{world.platform_x.code}/").status_code == 404
    grants = api.get("/api/v1/grants/").json()["results"]
    assert [g["is_active"] for g in grants] == [False]
    assert api.get("/api/v1/grants/", {"active": "true"}).json()["results"] == []


def test_grant_needs_a_unit_a_kind_answered_and_a_future_expiry(world):
    future = timezone.now() + timedelta(days=1)
    with pytest.raises(Invalid):
        services.grant_create(
            actor=SYSTEM, unit=world.bank, partner=world.platform_x, kind="order_lookup", expires_at=future
        )
    with pytest.raises(Invalid):
        services.grant_create(
            actor=SYSTEM, unit=world.unit_a, partner=world.platform_x, kind="stop_payment", expires_at=future
        )
    with pytest.raises(Invalid):
        services.grant_create(
            actor=SYSTEM,
            unit=world.unit_a,
            partner=world.bank,
            kind="stop_payment",
            expires_at=timezone.now(),
        )


def test_suspension_stops_sending_to_and_from(world):
    suspended = services.partner_set_status(
        actor=SYSTEM, partner=world.platform_x, status=PartnerStatus.SUSPENDED
    )
    assert not selectors.may_send(actor=world.officer_a, partner=suspended, kind="order_lookup")
    services.partner_set_status(actor=SYSTEM, partner=world.platform_x, status=PartnerStatus.ACTIVE)
    services.partner_set_status(actor=SYSTEM, partner=world.unit_a, status=PartnerStatus.SUSPENDED)
    world.officer_a.refresh_from_db()
    assert not selectors.may_send(actor=world.officer_a, partner=world.platform_x, kind="order_lookup")


def test_grant_revocation_is_immediate_and_audited(world):
    services.grant_revoke(actor=SYSTEM, grant=world.grant_a_x)
    assert not selectors.may_send(actor=world.officer_a, partner=world.platform_x, kind="order_lookup")
    event = AuditEvent.objects.filter(action=PartnerAction.GRANT_REVOKED).get()
    assert event.details == {"unit": "unit-a", "partner": "platform-x", "kind": "order_lookup"}


def test_restricted_lists_show_only_what_the_actor_may_see(world):
    from tests.clients import token_client

    codes = {p["code"] for p in token_client(world.officer_b).get("/api/v1/partners/").json()}
    assert codes == {"unit-b", "platform-y"}
    codes = {p["code"] for p in token_client(world.operator_bank).get("/api/v1/partners/").json()}
    assert codes == {"bank"}
    people = token_client(world.supervisor_a).get("/api/v1/people/").json()["results"]
    assert {p["username"] for p in people} == {"officer-a", "supervisor-a"}


def test_the_exchange_cannot_be_suspended_and_the_refusal_is_recorded(world):
    with pytest.raises(services.ExchangeNotSuspendable) as refused:
        services.partner_set_status(
            actor=world.administrator, partner=world.exchange, status=PartnerStatus.SUSPENDED
        )
    assert isinstance(refused.value, Conflict) and refused.value.code == "exchange_not_suspendable"
    world.exchange.refresh_from_db()
    assert world.exchange.status == PartnerStatus.ACTIVE
    event = AuditEvent.objects.filter(action=PartnerAction.PARTNER_SUSPENDED).get()
    assert (event.outcome, event.actor_id) == (Outcome.DENIED, "person:administrator")
    assert event.details == {"code": "exchange", "reason": "exchange_not_suspendable"}
    # Reactivating it stays possible (an exchange suspended before this rule).
    Partner.objects.filter(pk=world.exchange.pk).update(status=PartnerStatus.SUSPENDED)
    services.partner_set_status(actor=SYSTEM, partner=world.exchange, status=PartnerStatus.ACTIVE)
    world.exchange.refresh_from_db()
    assert world.exchange.status == PartnerStatus.ACTIVE


def test_suspending_the_exchange_through_the_api_is_a_clean_409(world):
    from tests.clients import token_client

    api = token_client(world.administrator)
    response = api.post(f"/api/v1/partners/{world.exchange.code}/suspend/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "exchange_not_suspendable"
    assert api.get("/api/v1/me/").status_code == 200  # the administrator is not locked out
    assert api.post(f"/api/v1/partners/{world.bank.code}/suspend/").status_code == 200


def test_suspend_and_reactivate_are_post_only(world):
    from rest_framework.test import APIClient

    from tests.clients import token_client

    api = token_client(world.administrator)
    for method in ("get", "put", "patch", "delete"):
        response = getattr(api, method)(f"/api/v1/partners/{world.bank.code}/suspend/")
        assert response.status_code == 405
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for action in ("suspend", "reactivate"):
        operations = schema["paths"][f"/api/v1/partners/{{code}}/{action}/"]
        assert set(operations) - {"parameters"} == {"post"}
