"""Registry services: validation, grants and their expiry, suspension, and who may act."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from guardian.shortcuts import get_perms

from audit.choices import Outcome
from audit.models import AuditEvent
from core.actors import SystemActor
from core.errors import Conflict, Forbidden, Invalid, NotFound
from partners import selectors
from partners.audit_actions import PartnerAction
from partners.choices import Delivery, PartnerKind, PartnerStatus
from partners.models import Grant, Partner
from partners.services import grants, people, registry
from tests import factories

SYSTEM = SystemActor("tests")
ORDER_LOOKUP = factories.ORDER_LOOKUP


def test_an_answering_partner_may_answer_no_kind_yet(db):
    bank = factories.answering_partner("bank", kind=PartnerKind.BANK, answers=())
    assert (bank.answers, bank.delivery) == ([], Delivery.PULL)


def test_partner_reachability_is_validated(db):
    with pytest.raises(Invalid):
        registry.partner_create(
            actor=SYSTEM,
            code="p",
            name="P",
            kind=PartnerKind.PAYMENT_PLATFORM,
            delivery=Delivery.PUSH,
            answers=[ORDER_LOOKUP],
        )
    with pytest.raises(Invalid):
        registry.partner_create(
            actor=SYSTEM,
            code="b",
            name="B",
            kind=PartnerKind.BANK,
            delivery=Delivery.PULL,
            answers=[ORDER_LOOKUP],
        )
    with pytest.raises(Invalid):
        registry.partner_create(
            actor=SYSTEM, code="u", name="U", kind=PartnerKind.POLICE_UNIT, delivery=Delivery.PULL
        )
    assert not Partner.objects.exists()


def test_duplicate_code_conflicts(world):
    with pytest.raises(Conflict):
        registry.partner_create(actor=SYSTEM, code="unit-a", name="again", kind=PartnerKind.POLICE_UNIT)


def test_roles_must_fit_the_partner(world):
    with pytest.raises(Invalid):
        people.person_create(actor=SYSTEM, partner_code=world.bank.code, username="x", role="officer")
    with pytest.raises(Invalid):
        people.person_create(actor=SYSTEM, partner_code=world.unit_a.code, username="y", role="auditor")


def test_who_sees_a_partner_but_may_not_change_it_is_refused_and_others_find_nothing(world):
    for actor in (world.auditor, world.operator_bank):  # they see the bank
        with pytest.raises(Forbidden):
            registry.partner_set_status(actor=actor, code=world.bank.code, status=PartnerStatus.SUSPENDED)
    with pytest.raises(NotFound):  # unit A holds no grant to the bank: it does not exist for them
        registry.partner_set_status(
            actor=world.officer_a, code=world.bank.code, status=PartnerStatus.SUSPENDED
        )
    denials = AuditEvent.objects.filter(outcome=Outcome.DENIED).order_by("id")
    assert [(e.actor_id, e.details["code"], e.target_id) for e in denials] == [
        ("person:auditor", "permission_denied", str(world.bank.pk)),
        ("person:operator-bank", "permission_denied", str(world.bank.pk)),
        ("person:officer-a", "not_found", str(world.bank.pk)),
    ]
    registry.partner_set_status(
        actor=world.administrator, code=world.bank.code, status=PartnerStatus.SUSPENDED
    )
    event = AuditEvent.objects.filter(action=PartnerAction.PARTNER_SUSPENDED).get()
    assert event.actor_id == "person:administrator" and event.target_id == str(world.bank.pk)


def test_only_registry_writers_register_a_partner_and_each_refusal_is_recorded_once(world):
    for actor in (world.officer_a, world.auditor, None):
        with pytest.raises(Forbidden):
            registry.partner_create(actor=actor, code="new", name="New", kind=PartnerKind.POLICE_UNIT)
    assert not Partner.objects.filter(code="new").exists()
    denials = AuditEvent.objects.filter(outcome=Outcome.DENIED)
    assert [e.actor_id for e in denials.order_by("id")] == ["person:officer-a", "person:auditor", ""]


def test_grant_is_a_guardian_object_permission_of_the_unit(world):
    assert get_perms(world.officer_a, world.platform_x) == ["send_order_lookup"]
    assert get_perms(world.officer_b, world.platform_x) == []


def test_grant_expiry(world):
    now = timezone.now()

    def granted(unit: Partner, at: datetime | None = None) -> bool:
        return selectors.grants_active_for(
            unit=unit, partner=world.platform_x, kind=ORDER_LOOKUP, at=at
        ).exists()

    assert granted(world.unit_a)
    later = world.grant_a_x.expires_at + timedelta(seconds=1)
    assert not granted(world.unit_a, later)
    assert not granted(world.unit_b)
    grants.grant_create(
        actor=SYSTEM,
        unit_code=world.unit_a.code,
        partner_code=world.platform_x.code,
        kind=ORDER_LOOKUP,
        expires_at=now + timedelta(days=400),
    )
    assert Grant.objects.count() == 2  # renewed in place, not duplicated
    assert granted(world.unit_a, later)
    renewal = AuditEvent.objects.filter(action=PartnerAction.GRANT_CREATED).latest("id")
    assert renewal.details["renewed"] is True


def test_expired_grants_disappear_from_the_partner_directory(world, client):
    from tests.clients import token_client

    Grant.objects.filter(pk=world.grant_a_x.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    api = token_client(world.officer_a)
    assert api.get(f"/api/v1/partners/{world.platform_x.code}/").status_code == 404
    listed = api.get("/api/v1/grants/").json()["results"]
    assert [g["is_active"] for g in listed] == [False]
    assert api.get("/api/v1/grants/", {"active": "true"}).json()["results"] == []


def test_grant_needs_a_unit_a_kind_answered_and_a_future_expiry(world):
    future = timezone.now() + timedelta(days=1)
    with pytest.raises(Invalid):
        grants.grant_create(
            actor=SYSTEM,
            unit_code=world.bank.code,
            partner_code=world.platform_x.code,
            kind="order_lookup",
            expires_at=future,
        )
    with pytest.raises(Invalid):
        grants.grant_create(
            actor=SYSTEM,
            unit_code=world.unit_a.code,
            partner_code=world.platform_x.code,
            kind="stop_payment",
            expires_at=future,
        )
    with pytest.raises(Invalid):
        grants.grant_create(
            actor=SYSTEM,
            unit_code=world.unit_a.code,
            partner_code=world.platform_y.code,
            kind=ORDER_LOOKUP,
            expires_at=timezone.now(),
        )


def test_grant_revocation_is_immediate_and_audited(world):
    grants.grant_revoke(actor=SYSTEM, grant_id=world.grant_a_x.pk)
    assert not selectors.grants_active_for(unit=world.unit_a, partner=world.platform_x, kind=ORDER_LOOKUP)
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
    with pytest.raises(registry.ExchangeNotSuspendable) as refused:
        registry.partner_set_status(
            actor=world.administrator, code=world.exchange.code, status=PartnerStatus.SUSPENDED
        )
    assert isinstance(refused.value, Conflict) and refused.value.code == "exchange_not_suspendable"
    world.exchange.refresh_from_db()
    assert world.exchange.status == PartnerStatus.ACTIVE
    event = AuditEvent.objects.filter(action=PartnerAction.PARTNER_SUSPENDED).get()
    assert (event.outcome, event.actor_id) == (Outcome.DENIED, "person:administrator")
    assert event.details == {"code": "exchange", "reason": "exchange_not_suspendable"}
    # Reactivating it stays possible (an exchange suspended before this rule).
    Partner.objects.filter(pk=world.exchange.pk).update(status=PartnerStatus.SUSPENDED)
    registry.partner_set_status(actor=SYSTEM, code=world.exchange.code, status=PartnerStatus.ACTIVE)
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
