"""Every registry command: creates, revokes and lists through the audited services."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from afx_sdk import signing
from audit.models import AuditEvent
from demo.world import ADAPTERS
from partners.audit_actions import PartnerAction
from partners.models import AdapterKey, Grant, Partner, Person
from partners.services import credentials


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
    event = AuditEvent.objects.filter(action=PartnerAction.PARTNER_CREATED).get()
    assert event.actor_id == "system:partner_create"


def test_the_exchange_is_not_suspended_by_command_either(world):
    with pytest.raises(CommandError, match="exchange itself cannot be suspended"):
        run("partner_suspend", "exchange")
    assert Partner.objects.get(code="exchange").status == "active"
    event = AuditEvent.objects.filter(action=PartnerAction.PARTNER_SUSPENDED).get()
    assert (event.actor_id, event.outcome) == ("system:partner_suspend", "denied")


def test_refusals_are_clean_command_errors(db):
    with pytest.raises(CommandError, match="push partner needs a webhook URL"):
        run("partner_create", "x", "X", "--kind", "bank", "--delivery", "push")
    with pytest.raises(CommandError, match="No partner with that code"):
        run("person_create", "someone", "--partner", "nope", "--role", "officer")
    # The shell's miss is recorded like anyone's, by the access layer, naming nothing typed.
    denial = AuditEvent.objects.filter(outcome="denied").get()
    assert (denial.actor_id, denial.target_id) == ("system:person_create", "")
    assert denial.details == {"status": 404, "code": "not_found", "reason": "missing"}


def test_command_choices_are_the_kinds_registered_when_it_runs(world, monkeypatch):
    """A new kind needs no change here: `--kind` and `--answers` read `core.request_kinds`."""
    from core import request_kinds

    kind = request_kinds.RequestKindName("account_check", "Account check", frozenset({"bank"}))
    monkeypatch.setitem(request_kinds._kinds, kind.name, kind)
    run("partner_create", "bank-2", "Bank 2", "--kind", "bank", "--delivery", "pull", "--answers", kind.name)
    run("grant_create", "unit-a", "bank-2", "--kind", kind.name, "--expires", "30d")
    grant = Grant.objects.get(content_object__code="bank-2")
    assert grant.request_kind == "account_check"
    assert grant.permission.name == "May send account check requests"


def test_person_commands(world):
    """Issue 8 item 1: the command prints an enrolment code, never a password it chose."""
    output = run("person_create", "new-officer", "--partner", "unit-a", "--role", "officer")
    code = output.split("Enrolment code: ")[1].split()[0]
    person = Person.objects.get(username="new-officer")
    assert not person.has_usable_password()
    assert code not in str(Person.objects.filter(pk=person.pk).values().get())
    assert ["new-officer", "unit-a", "officer", "yes"] in rows(run("person_list"))
    run("person_deactivate", "new-officer")
    assert not Person.objects.get(username="new-officer").is_active


def test_person_enrolment_reset_command(world):
    world.officer_a.set_password("an old password, forgotten")
    world.officer_a.save()
    output = run("person_enrolment_reset", "officer-a")
    assert "Enrolment of officer-a started over." in output
    code = output.split("Enrolment code: ")[1].split()[0]
    world.officer_a.refresh_from_db()
    assert not world.officer_a.has_usable_password()
    credentials.person_enrol(username="officer-a", code=code, password="mine and nobody else's")
    world.officer_a.refresh_from_db()
    assert world.officer_a.check_password("mine and nobody else's")
    event = AuditEvent.objects.filter(action=PartnerAction.ENROLMENT_RESET).get()
    assert event.actor_id == "system:person_enrolment_reset"
    with pytest.raises(CommandError, match="No person with that username"):
        run("person_enrolment_reset", "nobody")


def test_key_create_requires_a_public_key_and_never_makes_a_pair(world):
    """Issue 8 item 1: without --public-key the command refuses; it used to print a private key."""
    with pytest.raises(CommandError, match="--public-key"):
        run("key_create", "bank", "--label", "rotation")
    assert not AdapterKey.objects.filter(partner=world.bank).exists()
    public_key = signing.public_key_text(signing.generate_private_key())
    printed = dict(
        line.strip().split("=", 1)
        for line in run(
            "key_create", "bank", "--label", "rotation", f"--public-key={public_key}"
        ).splitlines()
        if "=" in line
    )
    assert set(printed) == {"AFX_KEY_ID"}
    key = AdapterKey.objects.get(key_id=printed["AFX_KEY_ID"])
    assert (key.label, key.public_key) == ("rotation", public_key)
    listing = run("key_list")
    assert key.key_id in listing and public_key in listing
    run("key_revoke", key.key_id)
    key.refresh_from_db()
    assert key.is_revoked
    assert [key.key_id, "bank", "revoked"] in [row[:3] for row in rows(run("key_list"))]


def test_key_create_registers_a_given_public_key_and_prints_no_private_key(world, tmp_path):
    public_key = signing.public_key_text(signing.generate_private_key())
    output = run("key_create", "bank", f"--public-key={public_key}")
    assert "AFX_PRIVATE_KEY" not in output
    assert AdapterKey.objects.get(public_key=public_key).partner == world.bank
    key_file = tmp_path / "adapter.pub"
    key_file.write_text(signing.public_key_text(signing.generate_private_key()) + "\n")
    run("key_create", "platform-x", "--public-key", f"@{key_file}")
    assert AdapterKey.objects.filter(public_key=key_file.read_text().strip()).exists()
    with pytest.raises(CommandError, match="Not an Ed25519 public key"):
        run("key_create", "platform-x", "--public-key", "not-a-key")


def test_nonces_purge_deletes_only_expired_nonces(world):
    from datetime import timedelta

    from django.utils import timezone

    from partners.models import SeenNonce

    now = timezone.now()
    SeenNonce.objects.create(key=world.key_x.key, nonce="o" * 22, expires_at=now - timedelta(minutes=5))
    SeenNonce.objects.create(key=world.key_x.key, nonce="f" * 22, expires_at=now + timedelta(minutes=5))
    assert "Purged 1 expired nonces." in run("nonces_purge")
    assert list(SeenNonce.objects.values_list("nonce", flat=True)) == ["f" * 22]


def test_grant_commands(world):
    output = run(
        "grant_create",
        "unit-b",
        "platform-x",
        "--kind",
        "order_lookup",
        "--expires",
        "30d",
        "--legal-basis",
        "case 2026-17",
    )
    grant = Grant.objects.get(group=world.unit_b.group, content_object=world.platform_x)
    assert f"Grant {grant.pk}" in output and grant.legal_basis == "case 2026-17"
    listed = [row[:4] for row in rows(run("grant_list"))]
    assert [str(grant.pk), "unit-b", "platform-x", "order_lookup"] in listed
    assert f"Revoked grant {grant.pk}: unit-b -> platform-x: order_lookup." in run(
        "grant_revoke", str(grant.pk)
    )
    assert not Grant.objects.filter(pk=grant.pk).exists()
    with pytest.raises(CommandError, match="No grant with that id"):
        run("grant_revoke", str(grant.pk))
    with pytest.raises(CommandError, match="Not a date-time"):
        run("grant_create", "unit-b", "platform-x", "--kind", "order_lookup", "--expires", "soon")


def test_seed_demo_builds_the_world_once(db):
    output = run("seed_demo")
    assert Partner.objects.filter(kind="police_unit").count() == 2
    assert Partner.objects.filter(kind="payment_platform").count() == 2
    assert Partner.objects.filter(kind="bank").count() == 3
    assert Partner.objects.filter(kind="telecom").count() == 2
    assert set(Person.objects.values_list("role", flat=True)) == {
        "officer",
        "supervisor",
        "operator",
        "auditor",
        "administrator",
    }
    for person in Person.objects.all():  # the documented demo password, no pending enrolment
        assert person.check_password("afx-demo-password") and not person.enrolment_digest
    printed = {row[1]: row[2] for row in rows(output) if len(row) == 3 and row[0] in ADAPTERS}
    assert len(printed) == AdapterKey.objects.count() == len(ADAPTERS) == 7
    for key_id, private_key in printed.items():
        public_key = signing.public_key_text(signing.load_private_key(private_key))
        assert AdapterKey.objects.get(key_id=key_id).public_key == public_key
    with pytest.raises(CommandError, match="already seeded"):
        run("seed_demo")
