"""The admin writes through the services: guardian's object-permission page gives grants
with an expiry, the partner and person forms create through the audited services."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from core import request_kinds
from partners.audit_actions import PartnerAction
from partners.models import Grant, Partner, Person


@pytest.fixture
def admin_client(world) -> Client:
    client = Client()
    client.force_login(world.administrator, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_guardian_page_grants_with_expiry_and_revokes(world, admin_client):
    url = f"/admin/partners/partner/{world.platform_x.pk}/permissions/group-manage/{world.unit_b.group_id}/"
    page = admin_client.get(url)
    assert page.status_code == 200
    # The request kinds registered now, not every permission of the model (add_partner ...).
    offered = page.context["form"].fields["permissions"].choices
    assert offered == [("send_order_lookup", dict(request_kinds.choices())["order_lookup"])]
    expires = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%d %H:%M:%S")
    response = admin_client.post(
        url, {"permissions": ["send_order_lookup"], "expires_at": expires, "legal_basis": "warrant 17"}
    )
    assert response.status_code == 302
    grant = Grant.objects.get(group=world.unit_b.group, content_object=world.platform_x)
    assert grant.request_kind == "order_lookup"
    assert grant.legal_basis == "warrant 17"
    assert timedelta(days=9) < grant.expires_at - timezone.now() < timedelta(days=11)
    assert AuditEvent.objects.filter(
        action=PartnerAction.GRANT_CREATED, actor_id="person:administrator"
    ).exists()
    admin_client.post(url, {"permissions": [], "expires_at": expires})
    assert not Grant.objects.filter(group=world.unit_b.group, content_object=world.platform_x).exists()
    assert AuditEvent.objects.filter(
        action=PartnerAction.GRANT_REVOKED, actor_id="person:administrator"
    ).exists()


def test_admin_creates_partners_and_people_through_services(world, admin_client):
    response = admin_client.post(
        "/admin/partners/partner/add/",
        {
            "code": "bank-west",
            "name": "West Bank",
            "kind": "bank",
            "delivery": "pull",
            "webhook_url": "",
            "answers": [],
        },
    )
    assert response.status_code == 302
    bank = Partner.objects.get(code="bank-west")
    assert bank.group.name == "partner:bank-west"
    response = admin_client.post(
        "/admin/partners/person/add/",
        {
            "username": "west.operator",
            "partner": bank.pk,
            "role": "operator",
        },
    )
    assert response.status_code == 200  # the page with the enrolment code
    assert Person.objects.get(username="west.operator").groups.get() == bank.group
    created = AuditEvent.objects.filter(actor_id="person:administrator").values_list("action", flat=True)
    assert {PartnerAction.PARTNER_CREATED, PartnerAction.PERSON_CREATED} <= set(created)


def test_admin_suspend_action(world, admin_client):
    admin_client.post("/admin/partners/partner/", {"action": "suspend", "_selected_action": [world.bank.pk]})
    world.bank.refresh_from_db()
    assert world.bank.status == "suspended"


def test_admin_suspend_action_refuses_the_exchange(world, admin_client):
    response = admin_client.post(
        "/admin/partners/partner/",
        {"action": "suspend", "_selected_action": [world.exchange.pk]},
        follow=True,
    )
    assert b"exchange itself cannot be suspended" in response.content
    world.exchange.refresh_from_db()
    assert world.exchange.status == "active"
    assert admin_client.get("/admin/partners/partner/").status_code == 200


def test_admin_registers_an_adapter_public_key_and_never_makes_a_private_one(world, admin_client):
    """Issue 8 item 1: the partner alone holds its private key; the admin only registers public keys."""
    from afx_sdk import signing
    from partners.models import AdapterKey

    public_key = signing.public_key_text(signing.generate_private_key())
    response = admin_client.post(
        "/admin/partners/adapterkey/add/",
        {"partner": world.bank.pk, "label": "primary", "public_key": public_key},
        follow=True,
    )
    assert response.status_code == 200
    key = AdapterKey.objects.get(public_key=public_key)
    assert (key.partner, key.label, key.created_by) == (world.bank, "primary", world.administrator)
    assert f"AFX_KEY_ID={key.key_id}" in response.content.decode()
    assert "AFX_PRIVATE_KEY" not in response.content.decode()
    held = AdapterKey.objects.count()

    blank = {"partner": world.bank.pk, "label": "", "public_key": ""}
    response = admin_client.post("/admin/partners/adapterkey/add/", blank, follow=True)
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert "AFX_PRIVATE_KEY" not in response.content.decode()
    listing = admin_client.get("/admin/partners/partner/").content.decode()
    assert "issue_adapter_key" not in listing
    response = admin_client.post(
        "/admin/partners/partner/",
        {"action": "issue_adapter_key", "_selected_action": [world.bank.pk]},
        follow=True,
    )
    assert "AFX_PRIVATE_KEY" not in response.content.decode()
    assert AdapterKey.objects.count() == held

    response = admin_client.post(
        "/admin/partners/adapterkey/add/", {"partner": world.bank.pk, "public_key": "not-a-key"}, follow=True
    )
    assert "Not an Ed25519 public key." in response.content.decode()
    assert AdapterKey.objects.count() == held
