"""Reveal: police roles only, with a purpose, never secrets; every attempt audited without the value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from audit.reveal import reveal_field
from partners.choices import PartnerStatus
from privacy.errors import RevealDenied
from tests.conftest import World
from tests.privacy.conftest import ACCOUNT, HOLDER
from tests.privacy.probe import ProbeAccount, ProbeAdapterKey

pytestmark = pytest.mark.django_db


def _reveals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.PLAINTEXT_REVEALED).order_by("id"))


@pytest.mark.parametrize("identity", ["officer_a", "supervisor_a"])
def test_police_reveal_with_a_purpose_and_it_is_recorded(world: World, identity: str) -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    actor = getattr(world, identity)
    assert (
        reveal_field(actor=actor, obj=account, field_name="number", purpose="freeze request, case 17")
        == ACCOUNT
    )
    (event,) = _reveals()
    assert (event.outcome, event.actor_id, event.target_id) == (
        Outcome.ALLOWED,
        actor.actor_label,
        str(account.pk),
    )
    assert event.details == {"field": "number", "purpose": "freeze request, case 17"}


@pytest.mark.parametrize("identity", ["auditor", "administrator", "operator_bank"])
def test_other_roles_never_see_plaintext_and_the_attempt_is_recorded(world: World, identity: str) -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    with pytest.raises(RevealDenied) as error:
        reveal_field(actor=getattr(world, identity), obj=account, field_name="holder", purpose="curious")
    assert HOLDER not in str(error.value)
    (event,) = _reveals()
    assert event.outcome == Outcome.DENIED and event.details["field"] == "holder"


def test_a_purpose_is_required(world: World) -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT)
    with pytest.raises(RevealDenied, match="purpose"):
        reveal_field(actor=world.officer_a, obj=account, field_name="number", purpose="   ")
    assert [e.outcome for e in _reveals()] == [Outcome.DENIED]


def test_suspended_units_and_inactive_people_may_not_reveal(world: World) -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT)
    world.officer_a.partner.status = PartnerStatus.SUSPENDED  # the unit as the officer holds it
    with pytest.raises(RevealDenied):
        reveal_field(actor=world.officer_a, obj=account, field_name="number", purpose="case 17")
    world.officer_b.is_active = False
    with pytest.raises(RevealDenied):
        reveal_field(actor=world.officer_b, obj=account, field_name="number", purpose="case 17")


def test_no_event_holds_the_plaintext(world: World) -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    reveal_field(actor=world.officer_a, obj=account, field_name="number", purpose="case 17")
    with pytest.raises(RevealDenied):
        reveal_field(actor=world.auditor, obj=account, field_name="holder", purpose="case 17")
    recorded = json.dumps(
        [list(AuditEvent.objects.values_list("details", "target_id", "case_id"))], default=str
    )
    assert ACCOUNT not in recorded and HOLDER not in recorded


def test_secrets_are_never_revealed(world: World) -> None:
    key = ProbeAdapterKey.objects.create(signing_secret="s3cr3t-signing-key")
    with pytest.raises(RevealDenied, match="never revealed"):
        reveal_field(actor=world.officer_a, obj=key, field_name="signing_secret", purpose="debugging")
    assert [e.outcome for e in _reveals()] == [Outcome.DENIED]


def test_only_encrypted_fields_can_be_revealed(world: World) -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT)
    with pytest.raises(ValueError, match="not an encrypted field"):
        reveal_field(actor=world.officer_a, obj=account, field_name="label", purpose="case 17")


def test_several_fields_are_revealed_at_once_with_their_case(world: World) -> None:
    from audit.reveal import reveal_fields

    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    revealed = reveal_fields(
        actor=world.officer_a,
        obj=account,
        field_names=["number", "holder"],
        purpose="evidence",
        case_id="c-1",
    )
    assert revealed == {"number": ACCOUNT, "holder": HOLDER}
    assert [(e.details["field"], e.case_id, e.outcome) for e in _reveals()] == [
        ("number", "c-1", Outcome.ALLOWED),
        ("holder", "c-1", Outcome.ALLOWED),
    ]


def test_a_reveal_of_several_fields_is_all_or_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from audit import reveal

    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    original = reveal.event_record
    calls: list[object] = []

    def second_one_fails(**kwargs: Any) -> object:
        calls.append(kwargs["details"])
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return original(**kwargs)

    monkeypatch.setattr(reveal, "event_record", second_one_fails)
    with pytest.raises(RuntimeError):
        reveal.reveal_fields(
            actor=world.officer_a, obj=account, field_names=["number", "holder"], purpose="x"
        )
    assert len(calls) == 2 and _reveals() == []  # the first field's event went with the second


def test_a_denied_reveal_of_several_fields_records_each_and_reveals_none(world: World) -> None:
    from audit.reveal import reveal_fields

    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    with pytest.raises(RevealDenied) as error:
        reveal_fields(actor=world.auditor, obj=account, field_names=["number", "holder"], purpose="evidence")
    assert ACCOUNT not in str(error.value)
    assert [(e.details["field"], e.outcome) for e in _reveals()] == [
        ("number", Outcome.DENIED),
        ("holder", Outcome.DENIED),
    ]
