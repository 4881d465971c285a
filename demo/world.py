"""The demo world: two police anti-fraud centres, two payment platforms, three banks, two
telecom operators (tel-east, which the demo simulates, and telecom-one), an oversight body
and the exchange, with people of every role, grants and adapter keys. Built through the
services, so it is audited like any real registration.

Two shortcuts, for the demo only, each playing the other side: every demo person gets the
documented password `afx-demo-password` set directly (a real person enrols with their own
code and nobody else knows their password), and the demo makes each adapter's key pair
itself, as the partner would with `python -m afx_sdk.keygen`, registering only the public key.

The banks issue the card prefixes of the simulated banks (`simulator.tables.BANK_PARTNERS`),
so the accounts a lookup finds, and the accounts their money went on to, route to them.

The names are invented; the shape follows the centres described in the domain brief.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from afx_sdk import signing
from core.actors import SystemActor
from partners import enrolment, selectors
from partners.choices import Delivery, PartnerKind
from partners.models import AdapterKey, Person
from partners.services import grants, keys, people, registry
from simulator.tables import BANK_PARTNERS, TELECOM_PARTNERS

ACTOR = SystemActor("seed_demo")
# Platforms answer order lookups; banks answer the five kinds of following and holding money,
# for the card prefixes (BINs) the simulated banks issue; the simulated telecom (tel-east)
# blocks numbers; telecom-one is registered, keyed and reachable, and answers nothing.
ORDER_LOOKUP = "order_lookup"
NUMBER_BLOCK = "number_block"
BANK_KINDS = ["account_transfers", "stop_payment", "freeze", "freeze_renew", "freeze_release"]
DEMO_PASSWORD = "afx-demo-password"  # noqa: S105 - documented demo sign-in, local only

PARTNERS = [
    # code, name, kind, delivery, webhook, answers
    ("afx-ops", "AFX exchange operations", PartnerKind.EXCHANGE, "", "", []),
    ("cq-afc", "Chongqing anti-fraud centre", PartnerKind.POLICE_UNIT, "", "", []),
    ("jh-afc", "Jinhua anti-fraud centre", PartnerKind.POLICE_UNIT, "", "", []),
    (
        "paylink",
        "PayLink payments",
        PartnerKind.PAYMENT_PLATFORM,
        Delivery.PUSH,
        "http://127.0.0.1:8101/afx/webhook",
        [ORDER_LOOKUP],
    ),
    ("swiftpay", "SwiftPay", PartnerKind.PAYMENT_PLATFORM, Delivery.PULL, "", [ORDER_LOOKUP]),
    ("bank-east", "East Commercial Bank", PartnerKind.BANK, Delivery.PULL, "", BANK_KINDS),
    ("bank-river", "River Agricultural Bank", PartnerKind.BANK, Delivery.PULL, "", BANK_KINDS),
    (
        "bank-coast",
        "Coast Merchants Bank",
        PartnerKind.BANK,
        Delivery.PUSH,
        "http://127.0.0.1:8102/afx/webhook",
        BANK_KINDS,
    ),
    ("tel-east", TELECOM_PARTNERS["tel-east"].name, PartnerKind.TELECOM, Delivery.PULL, "", [NUMBER_BLOCK]),
    ("telecom-one", "Telecom One", PartnerKind.TELECOM, Delivery.PULL, "", []),
    ("oversight", "Data protection oversight office", PartnerKind.OVERSIGHT, "", "", []),
]

PEOPLE = [
    ("admin", "afx-ops", "administrator"),
    ("cq.officer", "cq-afc", "officer"),
    ("cq.supervisor", "cq-afc", "supervisor"),
    ("jh.officer", "jh-afc", "officer"),
    ("jh.supervisor", "jh-afc", "supervisor"),
    ("paylink.operator", "paylink", "operator"),
    ("swiftpay.operator", "swiftpay", "operator"),
    ("bank-east.operator", "bank-east", "operator"),
    ("bank-river.operator", "bank-river", "operator"),
    ("bank-coast.operator", "bank-coast", "operator"),
    ("tel-east.operator", "tel-east", "operator"),
    ("telecom-one.operator", "telecom-one", "operator"),
    ("auditor", "oversight", "auditor"),
]

BANKS = [code for code, _, kind, _, _, _ in PARTNERS if kind == PartnerKind.BANK]

LEGAL_BASIS = "Anti-Telecom and Online Fraud Law, art. 31 (demo)"

# Chongqing may ask both platforms and every bank for every bank kind; Jinhua only SwiftPay
# and East Commercial Bank: a unit may send requests to one partner but not to another, and a
# trace of Jinhua's leaves the accounts at the other banks unasked for want of a grant.
# Chongqing keeps the default emergency policy: its stop-payments leave at once. Chongqing
# may also ask the telecom tel-east to block numbers.
GRANTS = [
    ("cq-afc", "paylink", ORDER_LOOKUP),
    ("cq-afc", "swiftpay", ORDER_LOOKUP),
    ("jh-afc", "swiftpay", ORDER_LOOKUP),
    *[("cq-afc", bank, kind) for bank in BANKS for kind in BANK_KINDS],
    *[("jh-afc", "bank-east", kind) for kind in BANK_KINDS],
    ("cq-afc", "tel-east", NUMBER_BLOCK),
]

# Platforms' order numbers: two letters, the payment date, a serial and a check digit.
INPUT_FORMATS = {"paylink": {"order_number": r"PL\d{17}"}, "swiftpay": {"order_number": r"SP\d{17}"}}

ADAPTERS = ["paylink", "swiftpay", "bank-east", "bank-river", "bank-coast", "tel-east", "telecom-one"]


class PartnerHeldKey(NamedTuple):
    """A registered adapter key and its private half, which only the (demo) partner holds."""

    key: AdapterKey
    private_key: str


def demo_adapter_key(*, actor: SystemActor, partner_code: str, label: str) -> PartnerHeldKey:
    """Play the partner: make a key pair here and register only its public key."""
    private_key = signing.generate_private_key()
    key = keys.adapter_key_create(
        actor=actor, partner_code=partner_code, public_key=signing.public_key_text(private_key), label=label
    )
    return PartnerHeldKey(key, signing.private_key_text(private_key))


def _demo_password_set(person: Person, password: str) -> None:
    """Demo only: the documented password instead of the person's own enrolment."""
    person.set_password(password)
    enrolment.enrolment_close(person)
    person.save(update_fields=["password", "enrolment_digest", "enrolment_expires_at"])


@dataclass
class DemoWorld:
    """What was made, with the demo partners' private keys, which exist only here and now."""

    people: list[tuple[str, str, str]] = field(default_factory=list)
    keys: dict[str, PartnerHeldKey] = field(default_factory=dict)
    grants: int = 0


def demo_world_exists() -> bool:
    return selectors.partner_list(actor=ACTOR).filter(code="afx-ops").exists()


@transaction.atomic
def seed_demo_world(*, password: str = DEMO_PASSWORD, grant_days: int = 365) -> DemoWorld:
    world = DemoWorld()
    _world_add(world, {code for code, *_ in PARTNERS}, password=password, grant_days=grant_days)
    for code in ADAPTERS:
        world.keys[code] = demo_adapter_key(actor=ACTOR, partner_code=code, label="demo adapter")
    return world


@transaction.atomic
def demo_world_complete(*, password: str = DEMO_PASSWORD, grant_days: int = 365) -> DemoWorld:
    """Add to a demo world seeded by an earlier version the partners it lacks (tel-east),
    with their people and grants, so `manage.py demo` can start their simulators. Their
    adapter keys are the ones `manage.py demo` issues to its simulators."""
    world = DemoWorld()
    existing = set(selectors.partner_list(actor=ACTOR).values_list("code", flat=True))
    missing = {code for code, *_ in PARTNERS} - existing
    if missing:
        _world_add(world, missing, password=password, grant_days=grant_days)
    return world


def _world_add(world: DemoWorld, codes: set[str], *, password: str, grant_days: int) -> None:
    """Register the partners of `codes`, their people, and the grants to or from them."""
    for code, name, kind, delivery, webhook, answers in PARTNERS:
        if code not in codes:
            continue
        registry.partner_create(
            actor=ACTOR,
            code=code,
            name=name,
            kind=kind,
            delivery=delivery,
            webhook_url=webhook,
            answers=answers,
            input_formats=INPUT_FORMATS.get(code),
            bins=BANK_PARTNERS.get(code, ()),
        )
    for username, code, role in PEOPLE:
        if code not in codes:
            continue
        person, _ = people.person_create(actor=ACTOR, partner_code=code, username=username, role=role)
        _demo_password_set(person, password)
        world.people.append((username, code, role))
    expires_at = timezone.now() + timedelta(days=grant_days)
    for unit, partner, granted in GRANTS:
        if unit not in codes and partner not in codes:
            continue
        grants.grant_create(
            actor=ACTOR,
            unit_code=unit,
            partner_code=partner,
            kind=granted,
            expires_at=expires_at,
            legal_basis=LEGAL_BASIS,
        )
        world.grants += 1
