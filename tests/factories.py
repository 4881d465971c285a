"""Cheap objects for tests that need one or two, not the whole world (`tests.conftest.World`).

Plain functions over the services, as the shell would call them (`SystemActor`): every
object is validated and audited as a real one is, so a test never builds a state the
services could not reach. Codes and usernames are numbered, so several of each may exist.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from core.actors import SystemActor
from demo.world import PartnerHeldKey, demo_adapter_key
from exchange.models import Case, Query
from exchange.services import cases, queries
from partners.choices import Delivery, PartnerKind
from partners.models import Grant, Partner, Person
from partners.services import grants, people, registry

SYSTEM = SystemActor("tests")
ORDER_LOOKUP = "order_lookup"

_serial = itertools.count(1)


def _next(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


def partner(code: str, kind: str) -> Partner:
    """A partner that answers nothing: a police unit, an oversight body, the exchange."""
    return registry.partner_create(actor=SYSTEM, code=code, name=code.upper(), kind=kind)


def unit(code: str = "") -> Partner:
    return partner(code or _next("unit"), PartnerKind.POLICE_UNIT)


def answering_partner(
    code: str = "",
    *,
    kind: str = PartnerKind.PAYMENT_PLATFORM,
    delivery: str = Delivery.PULL,
    webhook_url: str = "",
    answers: tuple[str, ...] = (ORDER_LOOKUP,),
    bins: tuple[str, ...] = (),
) -> Partner:
    """A partner that answers (a pull payment platform answering order lookups, unless told)."""
    return registry.partner_create(
        actor=SYSTEM,
        code=code or _next("partner"),
        name=(code or "partner").upper(),
        kind=kind,
        delivery=delivery,
        webhook_url=webhook_url,
        answers=answers,
        bins=bins,
    )


# The kinds a bank answers, and a bank answering all of them for the card prefixes given.
BANK_KINDS = ("account_transfers", "stop_payment", "freeze", "freeze_renew", "freeze_release")


def bank(
    code: str = "", *, bins: tuple[str, ...] = (), delivery: str = Delivery.PULL, webhook_url: str = ""
) -> Partner:
    return answering_partner(
        code or _next("bank"),
        kind=PartnerKind.BANK,
        delivery=delivery,
        webhook_url=webhook_url,
        answers=BANK_KINDS,
        bins=bins,
    )


def person(of: Partner, role: str, username: str = "") -> Person:
    """A person of `of` in `role`, not enrolled: they have no usable password."""
    made, _ = people.person_create(
        actor=SYSTEM, partner_code=of.code, username=username or _next(role), role=role
    )
    return made


def grant(unit: Partner, partner: Partner, kind: str = ORDER_LOOKUP, *, days: int = 30) -> Grant:
    return grants.grant_create(
        actor=SYSTEM,
        unit_code=unit.code,
        partner_code=partner.code,
        kind=kind,
        expires_at=timezone.now() + timedelta(days=days),
    )


HeldKey = PartnerHeldKey  # the registered key and the private half the test (playing the partner) made


def adapter_key(partner: Partner, label: str = "") -> HeldKey:
    """Play the partner: make a key pair here and register only its public key."""
    return demo_adapter_key(actor=SYSTEM, partner_code=partner.code, label=label)


def case(officer: Person, number: str = "") -> Case:
    """An open case of the officer's unit."""
    return cases.case_open(
        actor=officer,
        number=number or _next("C"),
        title="Refund scam",
        fraud_type="online_shopping",
        legal_basis="Art. 31",
        victim_loss=Decimal("5200.00"),
    )


def query(officer: Person, of_case: Case, partner: Partner, order_number: str = "PX0000000001") -> Query:
    """An order lookup the officer sends to `partner` in `of_case` (the unit needs a grant)."""
    return queries.query_submit(
        actor=officer,
        submission=queries.Submission(
            case_id=of_case.pk, kind=ORDER_LOOKUP, partner=partner.code, input={"order_number": order_number}
        ),
    )
