"""Routing accounts to banks by their declared BINs: the longest prefix wins, among active banks
that answer account_transfers; anything else is unroutable with a reason code."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from core.errors import Conflict, Invalid
from exchange.routing import NO_BANK_FOR_BIN, Router
from partners.models import Partner
from partners.services import registry
from tests import factories
from tests.factories import SYSTEM


def test_an_account_routes_to_the_bank_of_its_bin_and_bins_never_overlap(world: Any) -> None:
    eight = factories.bank("bank-eight", bins=("62148300",))
    router = Router()
    assert router.route("6222 0200 0000 0001").bank == world.bank
    assert router.route("6214830000000001").bank == eight
    # A prefix inside another bank's, or around it, would take that bank's accounts.
    for overlapping in ("62220212", "6222", "621483"):
        with pytest.raises(Conflict):
            factories.bank(f"bank-{overlapping}", bins=(overlapping,))


def test_no_bank_for_the_bin_is_unroutable(world: Any) -> None:
    route = Router().route("9999000000000001")
    assert (route.bank, route.unroutable_reason) == (None, NO_BANK_FOR_BIN)


def test_suspended_banks_and_banks_not_answering_transfers_are_skipped(world: Any) -> None:
    factories.answering_partner("bank-stops-only", kind="bank", answers=("stop_payment",), bins=("621700",))
    factories.bank("bank-suspended", bins=("621799",))
    registry.partner_set_status(actor=SYSTEM, code="bank-suspended", status="suspended")
    router = Router()
    assert router.route("6217000000000001").unroutable_reason == NO_BANK_FOR_BIN
    assert router.route("6217990000000001").bank is None


def test_one_query_routes_many_accounts(world: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        router = Router()
        routes = [router.route(f"62220200000000{n:02}") for n in range(50)]
    assert len(queries) == 1 and {r.bank for r in routes} == {world.bank}


def test_bins_set_in_the_admin_route_accounts_and_show_in_the_registry_api(world: Any) -> None:
    admin = Client()
    admin.force_login(world.administrator, backend="django.contrib.auth.backends.ModelBackend")
    response = admin.post(
        "/admin/partners/partner/add/",
        {
            "code": "bank-south",
            "name": "South Bank",
            "kind": "bank",
            "delivery": "pull",
            "webhook_url": "",
            "answers": ["account_transfers"],
            "bins": "622588, 621483",
        },
    )
    assert response.status_code == 302
    south = Partner.objects.get(code="bank-south")
    assert south.bins == ["621483", "622588"]
    assert Router().route("6225880000000001").bank == south
    shown = world.client("administrator").get("/api/v1/partners/bank-south/")
    assert shown.status_code == 200 and shown.json()["bins"] == ["621483", "622588"]


def test_the_admin_refuses_a_malformed_bin(world: Any) -> None:
    admin = Client()
    admin.force_login(world.administrator, backend="django.contrib.auth.backends.ModelBackend")
    admin.post(
        "/admin/partners/partner/add/",
        {"code": "bank-odd", "name": "Odd", "kind": "bank", "delivery": "pull", "answers": [], "bins": "62x"},
    )
    assert not Partner.objects.filter(code="bank-odd").exists()


def test_a_banks_bins_change_routes_the_next_accounts_and_never_overlap(world: Any) -> None:
    other = factories.bank("bank-eight", bins=("62148300",))
    call_command("partner_set_bins", world.bank.code, "622202", "622588", stdout=StringIO())
    assert Router().route("6225880000000001").bank == world.bank
    event = AuditEvent.objects.filter(action="partner_bins_changed", target_id=str(world.bank.pk)).get()
    assert event.details == {"code": world.bank.code, "bins": ["622202", "622588"], "before": ["622202"]}
    with pytest.raises(Conflict):
        registry.partner_set_bins(actor=SYSTEM, code=world.bank.code, bins=("6214",))  # around bank-eight's
    registry.partner_set_bins(actor=SYSTEM, code=other.code, bins=())
    assert Router().route("6214830000000001").unroutable_reason == NO_BANK_FOR_BIN
    with pytest.raises(Invalid):
        registry.partner_set_bins(actor=SYSTEM, code=world.platform_x.code, bins=("621483",))
