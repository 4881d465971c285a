"""`event_record`: how each kind of actor, target and request context ends up in the row."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_guid import set_guid

from audit.choices import ActorType, AuditAction, Outcome
from audit.context import RequestContextMiddleware
from audit.models import AuditEvent
from audit.services import event_record
from core.actors import SystemActor
from exchange.audit_actions import ExchangeAction
from partners.audit_actions import PartnerAction


def test_a_person(world):
    event = event_record(actor=world.officer_a, action=ExchangeAction.CASE_VIEWED, case_id="7")
    stored = AuditEvent.objects.get(id=event.id)
    assert (stored.actor_type, stored.actor_id, stored.actor_partner, stored.actor_role) == (
        ActorType.PERSON,
        "person:officer-a",
        "unit-a",
        "officer",
    )
    assert (stored.case_id, stored.outcome) == ("7", Outcome.ALLOWED)


def test_an_adapter(world):
    from partners.identity import AdapterPrincipal

    event = event_record(actor=AdapterPrincipal(key=world.key_x.key), action=ExchangeAction.QUERY_ANSWERED)
    assert event.actor_type == ActorType.ADAPTER
    assert event.actor_id == f"adapter:platform-x/{world.key_x.key.key_id}"
    assert event.actor_role == "adapter"


@pytest.mark.parametrize(
    ("actor", "kind", "label"),
    [(None, ActorType.ANONYMOUS, ""), (SystemActor("cron"), ActorType.SYSTEM, "system:cron")],
)
def test_anonymous_and_system_actors(db, actor, kind, label):
    event = event_record(actor=actor, action=PartnerAction.SIGN_IN_FAILED, outcome=Outcome.DENIED)
    assert (event.actor_type, event.actor_id, event.actor_partner) == (kind, label, "")


def test_a_model_target(world):
    event = event_record(actor=SystemActor("tests"), action=PartnerAction.PARTNER_CREATED, target=world.bank)
    assert (event.target_type, event.target_id) == ("partners.partner", str(world.bank.pk))


def test_request_id_and_source_address_come_from_the_request(db):
    def view(request):
        event_record(actor=None, action=AuditAction.REQUEST_DENIED, outcome=Outcome.DENIED)
        return None

    set_guid("0123456789abcdef0123456789abcdef")
    RequestContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="192.0.2.7"))
    stored = AuditEvent.objects.get()
    assert (stored.request_id, stored.source_address) == ("0123456789abcdef0123456789abcdef", "192.0.2.7")


def test_the_returned_event_is_the_stored_row(db):
    event = event_record(actor=SystemActor("tests"), action=PartnerAction.SIGN_IN, details={"k": ["v", 1]})
    stored = AuditEvent.objects.get(id=event.id)
    assert (stored.details, stored.created_at, stored.action) == (
        event.details,
        event.created_at,
        event.action,
    )
    assert not event._state.adding


def test_details_are_bounded_in_size(db):
    from audit.services import MAX_DETAILS_BYTES

    event_record(
        actor=None, action=AuditAction.REQUEST_DENIED, details={"note": "x" * (MAX_DETAILS_BYTES - 20)}
    )
    with pytest.raises(ValueError, match="at most"):
        event_record(actor=None, action=AuditAction.REQUEST_DENIED, details={"path": "x" * MAX_DETAILS_BYTES})
    with pytest.raises(ValueError, match="at most"):
        event_record(actor=None, action=AuditAction.REQUEST_DENIED, details={"p": ["é"] * MAX_DETAILS_BYTES})
    assert AuditEvent.objects.count() == 1
