"""Service-matrix rows of the partner registry: every service and selector of `partners`.

What each identity of the world sees (`partners.querysets`): police see their unit and the
partners it holds a grant to; an adapter its partner and the units granted to it; an
operator their partner; auditors, administrators and the shell everything. Only
administrators and the shell change anything: an identity that sees the object is refused
(forbidden), one that does not gets the not-found of a missing object.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import RequestFactory
from django.utils import timezone
from knox.models import AuthToken

from afx_sdk import signing
from core.roles import Role
from partners import selectors
from partners.choices import PartnerKind, PartnerStatus
from partners.models import Person
from partners.services import credentials, grants, keys, people, registry, tokens
from tests import factories
from tests.service_matrix import ServiceRow, every

ORDER_LOOKUP = factories.ORDER_LOOKUP
WRITERS = {"administrator": "ok", "system": "ok"}


def writable(*seeing: str) -> dict[str, str]:
    """An object only writers change, which the identities `seeing` see: forbidden for them."""
    return every("not_found", **WRITERS, **dict.fromkeys(seeing, "forbidden"))


def readable(*seeing: str) -> dict[str, str]:
    """An object read by writers, auditors and the identities `seeing`."""
    return every("not_found", **WRITERS, auditor="ok", **dict.fromkeys(seeing, "ok"))


# Who sees what in the world, besides writers and the auditor.
SEE_PLATFORM_X = ("officer_a", "supervisor_a", "adapter_x")
SEE_UNIT_A = ("officer_a", "supervisor_a", "adapter_x")
SEE_OFFICER_A = ("officer_a", "supervisor_a")
SEE_GRANT_A_X = ("officer_a", "supervisor_a", "adapter_x")
SEE_KEY_X = ("adapter_x",)


def _public_key() -> str:
    return signing.public_key_text(signing.generate_private_key())


def _reset_then_witness(world: Any, actor: Any) -> str:
    """The world's administrator starts officer A's enrolment over; unit A has a supervisor,
    so only she may take the second half."""
    people.person_enrolment_reset(actor=world.administrator, username=world.officer_a.username)
    return people.person_enrolment_witness(actor=actor, username=world.officer_a.username)


def _another_administrator_resets_then_witness(world: Any, actor: Any) -> str:
    """Unit B has no supervisor: an administrator other than the code's maker witnesses."""
    maker = factories.person(world.exchange, Role.ADMINISTRATOR)
    people.person_enrolment_reset(actor=maker, username=world.officer_b.username)
    return people.person_enrolment_witness(actor=actor, username=world.officer_b.username)


def _password_change(world: Any, actor: Any) -> None:
    """A wrong current password: refused as invalid for a person, whoever they are."""
    credentials.person_password_change(
        actor=actor,
        request=RequestFactory().post("/api/v1/auth/password/"),
        current_password="not-the-password",
        new_password="y" * 20,
    )


def _sign_in(world: Any, actor: Any) -> object:
    """A person who has just proven their password gets a token; nobody else does."""
    password_hash = ""
    if isinstance(actor, Person):
        actor.set_password("x" * 20)
        actor.save(update_fields=["password"])
        password_hash = actor.password
    return tokens.token_issue(actor=actor, password_hash=password_hash)


def _revoke_officer_a_token(world: Any, actor: Any) -> None:
    instance, _ = AuthToken.objects.create(user=world.officer_a)
    tokens.token_revoke(actor=actor, digest=instance.digest)


ROWS = [
    ServiceRow(
        "partners.services.registry.partner_create",
        lambda w, a: registry.partner_create(actor=a, code="unit-c", name="C", kind=PartnerKind.POLICE_UNIT),
        every("forbidden", **WRITERS),
    ),
    ServiceRow(
        "partners.services.registry.partner_set_status",
        lambda w, a: registry.partner_set_status(
            actor=a, code=w.platform_x.code, status=PartnerStatus.SUSPENDED
        ),
        writable(*SEE_PLATFORM_X, "auditor"),
    ),
    ServiceRow(
        "partners.services.registry.partner_set_status",
        lambda w, a: registry.partner_set_status(
            actor=a, code=w.exchange.code, status=PartnerStatus.SUSPENDED
        ),
        writable("auditor") | {"administrator": "conflict", "system": "conflict"},
        variant="the exchange itself",
    ),
    ServiceRow(
        "partners.services.registry.partner_set_status",
        lambda w, a: registry.partner_set_status(actor=a, code="nobody", status=PartnerStatus.SUSPENDED),
        every("not_found"),
        variant="missing",
    ),
    ServiceRow(
        "partners.services.registry.partner_set_bins",
        lambda w, a: registry.partner_set_bins(actor=a, code=w.bank.code, bins=("622202", "999912")),
        writable("auditor", "operator_bank"),
    ),
    ServiceRow(
        "partners.services.registry.partner_set_push_queue",
        lambda w, a: registry.partner_set_push_queue(actor=a, code=w.platform_y.code, queue="push_slow"),
        writable("officer_b", "adapter_y", "auditor"),
    ),
    ServiceRow(
        "partners.services.people.person_create",
        lambda w, a: people.person_create(
            actor=a, partner_code=w.unit_a.code, username="officer-c", role=Role.OFFICER
        ),
        writable(*SEE_UNIT_A, "auditor"),
    ),
    ServiceRow(
        "partners.services.people.person_deactivate",
        lambda w, a: people.person_deactivate(actor=a, username=w.officer_a.username),
        writable(*SEE_OFFICER_A, "auditor"),
    ),
    ServiceRow(
        "partners.services.people.person_enrolment_reset",
        lambda w, a: people.person_enrolment_reset(actor=a, username=w.officer_a.username),
        writable(*SEE_OFFICER_A, "auditor"),
    ),
    ServiceRow(
        "partners.services.people.person_enrolment_witness",
        _reset_then_witness,
        every("not_found", supervisor_a="ok"),
    ),
    ServiceRow(
        "partners.services.people.person_enrolment_witness",
        _another_administrator_resets_then_witness,
        every("not_found", administrator="ok"),
        variant="no supervisor",
    ),
    # Anonymous by design: the code is the proof, so no actor is taken; a wrong code is refused.
    ServiceRow(
        "partners.services.credentials.person_enrol",
        lambda w, a: credentials.person_enrol(username=w.officer_a.username, code="wrong", password="x" * 20),
        every("invalid"),
    ),
    ServiceRow(
        "partners.services.credentials.person_password_change",
        _password_change,
        every(
            "invalid", anonymous="forbidden", adapter_x="forbidden", adapter_y="forbidden", system="forbidden"
        ),
    ),
    ServiceRow(
        "partners.services.keys.adapter_key_create",
        lambda w, a: keys.adapter_key_create(
            actor=a, partner_code=w.platform_x.code, public_key=_public_key()
        ),
        writable(*SEE_PLATFORM_X, "auditor"),
    ),
    ServiceRow(
        "partners.services.keys.adapter_key_revoke",
        lambda w, a: keys.adapter_key_revoke(actor=a, key_id=w.key_x.key.key_id),
        writable(*SEE_KEY_X, "auditor"),
    ),
    ServiceRow(
        "partners.services.grants.grant_create",
        lambda w, a: grants.grant_create(
            actor=a,
            unit_code=w.unit_a.code,
            partner_code=w.platform_y.code,
            kind=ORDER_LOOKUP,
            expires_at=timezone.now() + timedelta(days=1),
        ),
        writable(*SEE_UNIT_A, "auditor"),
    ),
    ServiceRow(
        "partners.services.grants.grant_revoke",
        lambda w, a: grants.grant_revoke(actor=a, grant_id=w.grant_a_x.pk),
        writable(*SEE_GRANT_A_X, "auditor"),
    ),
    ServiceRow(
        "partners.services.tokens.token_issue",
        _sign_in,
        every("ok", anonymous="forbidden", adapter_x="forbidden", adapter_y="forbidden", system="forbidden"),
    ),
    ServiceRow(
        "partners.services.tokens.token_revoke",
        _revoke_officer_a_token,
        every("not_found", officer_a="ok", **WRITERS),
    ),
    ServiceRow(
        "partners.selectors.partner_list", lambda w, a: list(selectors.partner_list(actor=a)), every("ok")
    ),
    ServiceRow(
        "partners.selectors.partner_get",
        lambda w, a: selectors.partner_get(actor=a, code=w.platform_x.code),
        readable(*SEE_PLATFORM_X),
    ),
    ServiceRow(
        "partners.selectors.person_list", lambda w, a: list(selectors.person_list(actor=a)), every("ok")
    ),
    ServiceRow(
        "partners.selectors.person_get",
        lambda w, a: selectors.person_get(actor=a, username=w.officer_a.username),
        readable(*SEE_OFFICER_A),
    ),
    ServiceRow(
        "partners.selectors.adapter_key_list",
        lambda w, a: list(selectors.adapter_key_list(actor=a)),
        every("ok"),
    ),
    ServiceRow(
        "partners.selectors.grant_list", lambda w, a: list(selectors.grant_list(actor=a)), every("ok")
    ),
    ServiceRow(
        "partners.selectors.grant_get",
        lambda w, a: selectors.grant_get(actor=a, grant_id=w.grant_a_x.pk),
        readable(*SEE_GRANT_A_X),
    ),
    # The exchange's own check, for a unit it has resolved from its actor: no actor of its own.
    ServiceRow(
        "partners.selectors.grants_active_for",
        lambda w, a: list(
            selectors.grants_active_for(unit=w.unit_a, partner=w.platform_x, kind=ORDER_LOOKUP)
        ),
        every("ok"),
    ),
]
