"""Every registry command: creates, revokes and lists through the audited services."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.choices import AuditAction
from audit.models import AuditEvent
from partners.models import AdapterKey, Grant, Partner, Person
from partners.services import api_key_digest


def rows(listing: str) -> list[list[str]]:
    return [line.split() for line in listing.splitlines()]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_partner_commands(db):
    assert "Created partner pl" in run(
        "partner_create",
        "pl",
        "Platform",
        "--kind",
        "payment_platform",
        "--delivery",
        "pull",
        "--answers",
        "order_lookup",
    )
    assert Partner.objects.get(code="pl").answers == ["order_lookup"]
    assert "pl is suspended" in run("partner_suspend", "pl")
    assert "pl is active" in run("partner_suspend", "pl", "--reactivate")
    listing = run("partner_list")
    assert listing.splitlines()[0].split() == ["CODE", "KIND", "STATUS", "DELIVERY", "ANSWERS", "NAME"]
    assert ["pl", "payment_platform", "active", "pull", "order_lookup", "Platform"] in rows(listing)
    event = AuditEvent.objects.filter(action=AuditAction.PARTNER_CREATED).get()
    assert event.actor_id == "system:partner_create"


def test_refusals_are_clean_command_errors(db):
    with pytest.raises(CommandError, match="push partner needs a webhook URL"):
        run("partner_create", "x", "X", "--kind", "bank", "--delivery", "push", "--answers", "stop_payment")
    with pytest.raises(CommandError, match="No partner with code"):
        run("person_create", "someone", "--partner", "nope", "--role", "officer")


def test_person_commands(world):
    output = run("person_create", "new-officer", "--partner", "unit-a", "--role", "officer")
    password = output.split("(shown once): ")[1].strip()
    assert Person.objects.get(username="new-officer").check_password(password)
    assert ["new-officer", "unit-a", "officer", "yes"] in rows(run("person_list"))
    run("person_deactivate", "new-officer")
    assert not Person.objects.get(username="new-officer").is_active


def test_key_commands_print_secrets_once_and_store_a_digest(world):
    output = run("key_create", "bank", "--label", "rotation")
    api_key = next(line.split("=", 1)[1] for line in output.splitlines() if "AFX_API_KEY=" in line)
    key = AdapterKey.objects.get(key_digest=api_key_digest(api_key))
    assert key.label == "rotation"
    listing = run("key_list")
    assert key.key_id in listing and api_key not in listing
    run("key_revoke", key.key_id)
    key.refresh_from_db()
    assert key.is_revoked
    assert [key.key_id, "bank", "revoked"] in [row[:3] for row in rows(run("key_list"))]


def test_grant_commands(world):
    output = run(
        "grant_create",
        "unit-b",
        "bank",
        "--kind",
        "stop_payment",
        "--expires",
        "30d",
        "--legal-basis",
        "case 2026-17",
    )
    grant = Grant.objects.get(group=world.unit_b.group, content_object=world.bank)
    assert f"Grant {grant.pk}" in output and grant.legal_basis == "case 2026-17"
    assert [str(grant.pk), "unit-b", "bank", "stop_payment"] in [row[:4] for row in rows(run("grant_list"))]
    run("grant_revoke", str(grant.pk))
    assert not Grant.objects.filter(pk=grant.pk).exists()
    with pytest.raises(CommandError, match="Not a date-time"):
        run("grant_create", "unit-b", "bank", "--kind", "stop_payment", "--expires", "soon")


def test_seed_demo_builds_the_world_once(db):
    output = run("seed_demo")
    assert Partner.objects.filter(kind="police_unit").count() == 2
    assert Partner.objects.filter(kind="payment_platform").count() == 2
    assert Partner.objects.filter(kind="bank").count() == 3
    assert set(Person.objects.values_list("role", flat=True)) == {
        "officer",
        "supervisor",
        "operator",
        "auditor",
        "administrator",
    }
    printed = [row[1] for row in rows(output) if len(row) == 3 and row[1].startswith("afx_")]
    assert len(printed) == AdapterKey.objects.count() == 6
    assert all(AdapterKey.objects.filter(key_digest=api_key_digest(key)).exists() for key in printed)
    with pytest.raises(CommandError, match="already seeded"):
        run("seed_demo")
