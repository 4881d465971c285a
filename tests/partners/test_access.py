"""Access where the act happens: every registry service resolves what it acts on for its
actor, so no caller (a view, the admin, a command, a web page) can hand it an object the
actor may not reach. Out of scope is missing and audited once; seeing is not changing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from knox.models import AuthToken

from audit.choices import Outcome
from audit.models import AuditEvent
from core import request_kinds
from core.errors import Forbidden, NotFound
from partners.choices import PartnerKind, PartnerStatus
from partners.identity import AdapterPrincipal
from partners.models import Grant, Partner
from partners.permissions import send_permission
from partners.services import grants, keys, people, registry, tokens
from tests import factories
from tests.clients import token_client


def denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(outcome=Outcome.DENIED).order_by("id"))


def test_out_of_scope_is_missing_audited_once_and_kept_when_the_service_rolls_back(world):
    with pytest.raises(NotFound) as out_of_scope:
        registry.partner_set_status(
            actor=world.officer_b, code=world.platform_x.code, status=PartnerStatus.SUSPENDED
        )
    with pytest.raises(NotFound) as missing:
        registry.partner_set_status(actor=world.officer_b, code="nobody", status=PartnerStatus.SUSPENDED)
    assert (out_of_scope.value.code, out_of_scope.value.message) == (
        missing.value.code,
        missing.value.message,
    )
    first, second = denials()
    assert (first.actor_id, first.target_type, first.target_id) == (
        "person:officer-b",
        "partners.partner",
        str(world.platform_x.pk),
    )
    assert first.details == {"status": 404, "code": "not_found", "reason": "out_of_scope"}
    assert (second.target_id, second.details["reason"]) == ("", "missing")  # what was typed is not kept
    world.platform_x.refresh_from_db()
    assert world.platform_x.status == PartnerStatus.ACTIVE


def test_an_actor_who_sees_but_may_not_change_is_forbidden_once(world):
    """Platform X's adapter sees its own key; revoking it is for administrators."""
    adapter = AdapterPrincipal(key=world.key_x.key)
    with pytest.raises(Forbidden) as refused:
        keys.adapter_key_revoke(actor=adapter, key_id=world.key_x.key.key_id)
    assert refused.value.audited  # the API's error handler does not record it a second time
    (denial,) = denials()
    assert (denial.actor_id, denial.target_id) == (adapter.actor_label, str(world.key_x.key.pk))
    assert denial.details == {"status": 403, "code": "permission_denied", "reason": "view_only"}
    world.key_x.key.refresh_from_db()
    assert not world.key_x.key.is_revoked


def test_somebody_elses_token_does_not_exist_for_them(world):
    instance, _ = AuthToken.objects.create(user=world.officer_a)
    with pytest.raises(NotFound):
        tokens.token_revoke(actor=world.officer_b, digest=instance.digest)
    assert AuthToken.objects.filter(pk=instance.pk).exists()
    # Named by its short key: the digest is the token's primary key and must stay secret.
    assert [(d.target_id, d.details["reason"]) for d in denials()] == [(instance.token_key, "out_of_scope")]
    tokens.token_revoke(actor=world.officer_a, digest=instance.digest)
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_no_code_to_witness_is_the_404_of_a_missing_person_and_recorded_once(world):
    """Officer A was made from the shell, whose codes are shown whole: nothing is in custody."""
    response = token_client(world.supervisor_a).post(
        f"/api/v1/people/{world.officer_a.username}/enrolment-witness/"
    )
    missing = token_client(world.supervisor_a).post("/api/v1/people/nobody/enrolment-witness/")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    reasons = [(d.target_id, d.details["reason"]) for d in denials()]
    assert reasons == [(str(world.officer_a.pk), "not_witness"), ("", "missing")]


def test_a_unit_and_a_partner_are_both_resolved_for_the_actor(world):
    """An administrator may grant; a police supervisor, who sees both partners, may not."""
    with pytest.raises(Forbidden):
        grants.grant_create(
            actor=world.supervisor_a,
            unit_code=world.unit_a.code,
            partner_code=world.platform_x.code,
            kind=factories.ORDER_LOOKUP,
            expires_at=world.grant_a_x.expires_at,
        )
    with pytest.raises(NotFound):  # unit A does not exist for unit B's officer
        people.person_create(
            actor=world.officer_b, partner_code=world.unit_a.code, username="x", role="officer"
        )
    assert [d.details["code"] for d in denials()] == ["permission_denied", "not_found"]


@pytest.fixture
def account_check(monkeypatch: pytest.MonkeyPatch) -> str:
    """A request kind registered by a package of its own, as the exchange's kinds are."""
    kind = request_kinds.RequestKindName(
        "account_check", "Account check", frozenset({PartnerKind.BANK.value})
    )
    monkeypatch.setitem(request_kinds._kinds, kind.name, kind)
    return kind.name


def test_a_new_kind_is_granted_without_a_migration_of_the_registry(db, account_check):
    bank = factories.answering_partner("bank", kind=PartnerKind.BANK, answers=(account_check,))
    grant = factories.grant(factories.unit(), bank, account_check)
    assert (grant.request_kind, grant.permission.name) == ("account_check", "May send account check requests")
    assert Partner._meta.permissions == []
    call_command("makemigrations", "partners", "--check", "--dry-run", verbosity=0, skip_checks=True)


def test_after_migrate_every_registered_kind_has_its_permission(db, account_check):
    def made() -> set[str]:
        rows = Permission.objects.filter(content_type__app_label="partners", codename__startswith="send_")
        return set(rows.values_list("codename", flat=True))

    assert "send_account_check" not in made()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert {"send_account_check", "send_order_lookup"} <= made()


def test_grants_of_a_kind_no_longer_carried_are_kept(db):
    """Rows of kinds that are gone (banks' `account_trace`) stay, with their grants, for the record."""
    bank = factories.answering_partner("bank", kind=PartnerKind.BANK, answers=())
    unit = factories.unit()
    old = Grant.objects.create(
        group=unit.group,
        permission=send_permission("account_trace"),
        content_object=bank,
        expires_at=factories.grant(unit, factories.answering_partner()).expires_at,
    )
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert Grant.objects.get(pk=old.pk).request_kind == "account_trace"
