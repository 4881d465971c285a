"""The migration to generic storage carries existing order lookups, both ways.

Encrypted values are bound to their column, so the migration must decrypt each old value
and encrypt it again for its new column; a copied ciphertext would not open there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from api.exchange.serializers import QueryOutputSerializer
from exchange.kinds import spec_of
from exchange.models import Case, Finding, Query
from partners.choices import PartnerKind
from partners.models import Partner, Person
from privacy.choices import Kind
from privacy.selectors import blind_index_filter

BEFORE = [("gateway", "0002_query_partner_reason")]
ORDER = "PX20261121000000099"
ACCOUNT = "6222020200112233445"


def _latest() -> list[tuple[str, str]]:
    return [node for node in MigrationExecutor(connection).loader.graph.leaf_nodes() if node[0] == "gateway"]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@dataclass
class Parties:
    unit: Partner
    platform: Partner
    officer: Person
    case: Case


@pytest.fixture
def before_generic_storage(transactional_db: None) -> Iterator[tuple[Any, Parties]]:
    """The historical models from before the migration, with a case and its partners; the
    latest schema again afterwards.

    Written straight through the ORM: the services would also write audit rows, which are
    append-only and would stop the test database from being emptied afterwards on SQLite.
    """
    unit, platform = (
        Partner.objects.create(code=code, name=code, kind=kind, group=Group.objects.create(name=code))
        for code, kind in (("m-unit", PartnerKind.POLICE_UNIT), ("m-platform", PartnerKind.PAYMENT_PLATFORM))
    )
    officer = Person.objects.create(partner=unit, username="mig-officer", role="officer")
    case = Case.objects.create(
        unit=unit,
        number="M-1",
        title="Refund scam",
        fraud_type="online_shopping",
        legal_basis="Art. 31",
        victim_loss=Decimal("5200.00"),
        opened_by=officer,
    )
    try:
        yield _migrate(BEFORE), Parties(unit, platform, officer, case)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_old_lookups_are_carried_to_the_generic_columns_and_back(before_generic_storage: Any) -> None:
    historical, parties = before_generic_storage
    answered = historical.get_model("gateway", "Query").objects.create(
        case_id=parties.case.pk,
        kind="order_lookup",
        partner_id=parties.platform.pk,
        requested_by_id=parties.officer.pk,
        order_number=ORDER,
        params={"amount": "5200.00"},
        status="answered",
        deadline=datetime(2026, 11, 21, 2, 0, tzinfo=UTC),
        answered_at=datetime(2026, 11, 21, 1, 0, 5, tzinfo=UTC),
        result_bank="East Commercial Bank",
        result_account=ACCOUNT,
        result_holder="李四",
        result_amount=Decimal("5200"),
        result_paid_at=datetime(2026, 11, 21, 2, 0, tzinfo=UTC),
        answer_digest="d" * 64,
    )
    _migrate(_latest())  # forward to the latest schema, which the current models read

    query = Query.objects.get(pk=answered.pk)
    assert (query.subject_kind, query.subject) == (Kind.ORDER_NUMBER, ORDER)
    by_subject = blind_index_filter(Query, "subject", ORDER, kind=Kind.ORDER_NUMBER)
    assert list(Query.objects.filter(by_subject)) == [query]
    shown = QueryOutputSerializer(query).data
    assert shown["input"] == {"order_number": "PX20****0099", "amount": "5200.00"}
    assert shown["result"] == {
        "bank": "East Commercial Bank",
        "account_number": "6222 **** **** 3445",
        "holder_name": "李*",
        "amount": "5200.00",
        "paid_at": "2026-11-21T10:00:00+08:00",
    }
    (finding,) = Finding.objects.filter(blind_index_filter(Finding, "value", ACCOUNT, kind=Kind.ACCOUNT))
    assert (finding.query_id, finding.case_id) == (query.pk, parties.case.pk)
    assert finding.partner_id == parties.platform.pk
    revealable = {value.name: value.read() for value in spec_of(query).revealables(query)}
    assert revealable == {"order_number": ORDER, "result_account": ACCOUNT, "result_holder": "李四"}

    back = _migrate(BEFORE).get_model("gateway", "Query").objects.get(pk=answered.pk)
    assert (back.order_number, back.result_account, back.result_holder) == (ORDER, ACCOUNT, "李四")
    assert (back.result_amount, back.result_paid_at) == (Decimal("5200.00"), answered.result_paid_at)
