"""The test world every API test shares: two police units, two platforms, a bank, an
oversight body and the exchange, with one identity per row of the permission matrix."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from exchange.models import Case, Query
from partners.choices import Delivery, PartnerKind
from partners.models import Grant, Partner, Person
from tests import factories
from tests.clients import signed_world_client, token_client
from tests.factories import HeldKey, adapter_key

BANK_BIN = "622202"


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
        return adapter_key(partner, label)

    def client(self, identity: str) -> object:
        """An API client authenticated as one identity of the permission matrix."""
        from rest_framework.test import APIClient

        if identity == "anonymous":
            return APIClient()
        if identity.startswith("adapter_"):
            return signed_world_client(self.key_x if identity == "adapter_x" else self.key_y)
        return token_client(getattr(self, identity))


def make_world() -> World:
    unit_a = factories.unit("unit-a")
    unit_b = factories.unit("unit-b")
    platform_x = factories.answering_partner("platform-x")
    platform_y = factories.answering_partner(
        "platform-y", delivery=Delivery.PUSH, webhook_url="http://127.0.0.1:9/hook"
    )
    # A bank answering every bank kind for one card prefix; no unit holds a grant to it.
    bank = factories.bank("bank", bins=(BANK_BIN,))
    oversight = factories.partner("oversight", PartnerKind.OVERSIGHT)
    exchange = factories.partner("exchange", PartnerKind.EXCHANGE)
    grant_a_x = factories.grant(unit_a, platform_x)
    factories.grant(unit_b, platform_y)
    officer_a = factories.person(unit_a, "officer", "officer-a")
    case_a = factories.case(officer_a, "A-0001")
    query_a = factories.query(officer_a, case_a, platform_x)
    return World(
        unit_a=unit_a,
        unit_b=unit_b,
        platform_x=platform_x,
        platform_y=platform_y,
        bank=bank,
        oversight=oversight,
        exchange=exchange,
        officer_a=officer_a,
        supervisor_a=factories.person(unit_a, "supervisor", "supervisor-a"),
        officer_b=factories.person(unit_b, "officer", "officer-b"),
        operator_bank=factories.person(bank, "operator", "operator-bank"),
        auditor=factories.person(oversight, "auditor", "auditor"),
        administrator=factories.person(exchange, "administrator", "administrator"),
        key_x=adapter_key(platform_x),
        key_y=adapter_key(platform_y),
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
