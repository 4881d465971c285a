"""The test world every API test shares: two police units, two platforms, a bank, an
oversight body and the exchange, with one identity per row of the permission matrix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.actors import SystemActor
from demo.world import PartnerHeldKey, demo_adapter_key
from exchange.models import Case, Query
from exchange.services import cases, queries
from partners import services
from partners.choices import Delivery, PartnerKind, RequestKind
from partners.models import Grant, Partner, Person
from tests.clients import signed_world_client, token_client

SYSTEM = SystemActor("tests")


HeldKey = PartnerHeldKey  # the registered key and the private half the test (playing the partner) made


def adapter_key_register(partner: Partner, label: str = "") -> HeldKey:
    """Play the partner: make a key pair here and register only its public key."""
    return demo_adapter_key(actor=SYSTEM, partner=partner, label=label)


@dataclass
class World:
    unit_a: Partner
    unit_b: Partner
    platform_x: Partner
    platform_y: Partner
    bank: Partner
    oversight: Partner
    exchange: Partner
    officer_a: Person
    supervisor_a: Person
    officer_b: Person
    operator_bank: Person
    auditor: Person
    administrator: Person
    key_x: HeldKey
    key_y: HeldKey
    grant_a_x: Grant
    case_a: Case
    query_a: Query

    @staticmethod
    def adapter_key(partner: Partner, label: str = "") -> HeldKey:
        """Another key of `partner`, made as the partner would: (AdapterKey, private key)."""
        return adapter_key_register(partner, label)

    def client(self, identity: str) -> object:
        """An API client authenticated as one identity of the permission matrix."""
        from rest_framework.test import APIClient

        if identity == "anonymous":
            return APIClient()
        if identity.startswith("adapter_"):
            return signed_world_client(self.key_x if identity == "adapter_x" else self.key_y)
        return token_client(getattr(self, identity))


def make_world() -> World:
    def partner(code: str, kind: str, **reach: Any) -> Partner:
        return services.partner_create(actor=SYSTEM, code=code, name=code.upper(), kind=kind, **reach)

    def person(username: str, of: Partner, role: str) -> Person:
        return services.person_create(actor=SYSTEM, partner=of, username=username, role=role)[0]

    unit_a = partner("unit-a", PartnerKind.POLICE_UNIT)
    unit_b = partner("unit-b", PartnerKind.POLICE_UNIT)
    platform_x = partner(
        "platform-x", PartnerKind.PAYMENT_PLATFORM, delivery=Delivery.PULL, answers=[RequestKind.ORDER_LOOKUP]
    )
    platform_y = partner(
        "platform-y",
        PartnerKind.PAYMENT_PLATFORM,
        delivery=Delivery.PUSH,
        webhook_url="http://127.0.0.1:9/hook",
        answers=[RequestKind.ORDER_LOOKUP],
    )
    bank = partner(
        "bank",
        PartnerKind.BANK,
        delivery=Delivery.PULL,
        answers=[RequestKind.ACCOUNT_TRACE, RequestKind.STOP_PAYMENT],
    )
    oversight = partner("oversight", PartnerKind.OVERSIGHT)
    exchange = partner("exchange", PartnerKind.EXCHANGE)
    expires = timezone.now() + timedelta(days=30)
    grant_a_x = services.grant_create(
        actor=SYSTEM, unit=unit_a, partner=platform_x, kind=RequestKind.ORDER_LOOKUP, expires_at=expires
    )
    services.grant_create(
        actor=SYSTEM, unit=unit_b, partner=platform_y, kind=RequestKind.ORDER_LOOKUP, expires_at=expires
    )
    officer_a = person("officer-a", unit_a, "officer")
    case_a = cases.case_open(
        actor=officer_a,
        number="A-0001",
        title="Refund scam",
        fraud_type="online_shopping",
        legal_basis="Art. 31",
        victim_loss=Decimal("5200.00"),
    )
    query_a = queries.query_submit(
        actor=officer_a,
        submission=queries.Submission(
            case=case_a,
            kind=RequestKind.ORDER_LOOKUP,
            partner=platform_x.code,
            input={"order_number": "PX0000000001"},
        ),
    )
    return World(
        unit_a=unit_a,
        unit_b=unit_b,
        platform_x=platform_x,
        platform_y=platform_y,
        bank=bank,
        oversight=oversight,
        exchange=exchange,
        officer_a=officer_a,
        supervisor_a=person("supervisor-a", unit_a, "supervisor"),
        officer_b=person("officer-b", unit_b, "officer"),
        operator_bank=person("operator-bank", bank, "operator"),
        auditor=person("auditor", oversight, "auditor"),
        administrator=person("administrator", exchange, "administrator"),
        key_x=adapter_key_register(platform_x),
        key_y=adapter_key_register(platform_y),
        grant_a_x=grant_a_x,
        case_a=case_a,
        query_a=query_a,
    )


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttles live in the cache; each test starts with none."""
    cache.clear()
