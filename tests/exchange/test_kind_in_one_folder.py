"""A new request kind is one folder: `tests/exchange/test_kind_folder/number_owner/` alone
makes `number_owner` a kind the whole gateway carries.

It is discovered the way the exchange discovers its own kinds (`exchange.kinds.discover`),
then granted, submitted, delivered on the wire, answered, masked, found and revealed through
the API, with no other file naming it.
"""

from __future__ import annotations

from typing import Any

import pytest

from audit import vocabulary
from audit.choices import AuditAction
from audit.models import AuditEvent
from core import request_kinds
from exchange import kinds
from exchange.kinds.base import KindSpec
from exchange.models import Case, Finding, Query
from partners.choices import PartnerKind
from privacy.choices import Kind
from privacy.selectors import blind_index_filter
from tests import factories
from tests.clients import signed_world_client, token_client
from tests.exchange.test_kind_folder import number_owner

PHONE = "+86 138 1234 5678"
FORWARDED_TO = "13900001111"
HOLDER = "王五"
RESULT = {"operator": "Telecom One", "holder_name": HOLDER, "forwarded_to": FORWARDED_TO}
ANSWER = {"status": "answered", "result": RESULT}


@pytest.fixture
def number_owner_kind(monkeypatch: pytest.MonkeyPatch) -> KindSpec:
    """The test package's kinds registered as the app registers its own; the registries are
    copies for this test, so no other test sees the kind."""
    monkeypatch.setattr(kinds, "_specs", dict(kinds._specs))
    monkeypatch.setattr(request_kinds, "_kinds", dict(request_kinds._kinds))
    monkeypatch.setattr(vocabulary, "_registry", dict(vocabulary._registry))
    monkeypatch.setattr(number_owner, "ANSWERS_SEEN", [])
    (spec,) = kinds.discover("tests.exchange.test_kind_folder")
    return spec


@pytest.fixture
def telecom(world: Any, number_owner_kind: KindSpec) -> Any:
    telecom = factories.answering_partner(kind=PartnerKind.TELECOM, answers=(number_owner_kind.name,))
    factories.grant(world.unit_a, telecom, number_owner_kind.name)
    return telecom


def _submit(officer: Any, case: Case, partner: Any) -> Any:
    body = {"case": str(case.pk), "kind": "number_owner", "partner": partner.code}
    body["input"] = {"phone_number": PHONE}
    return token_client(officer).post("/api/v1/queries/", body, format="json")


def test_a_kind_registers_its_name_and_its_actions(number_owner_kind: KindSpec) -> None:
    assert request_kinds.get("number_owner") == request_kinds.RequestKindName(
        "number_owner", "Holder of a phone number", frozenset({PartnerKind.TELECOM})
    )
    assert "number_owner_asked" in vocabulary.with_trait(vocabulary.Trait.SUBJECT_LOOKUP)
    assert kinds.spec_for("number_owner") is number_owner_kind


def test_only_a_granted_unit_may_send_it(world: Any, telecom: Any) -> None:
    assert _submit(world.officer_a, world.case_a, telecom).status_code == 202
    case_b = factories.case(world.officer_b)
    refused = _submit(world.officer_b, case_b, telecom)
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"partner": ["Not available."]}


def test_submitted_delivered_answered_masked_found_and_revealed(world: Any, telecom: Any) -> None:
    submitted = _submit(world.officer_a, world.case_a, telecom)
    assert submitted.status_code == 202, submitted.json()
    query_id = submitted.json()["id"]
    assert submitted.json()["input"] == {"phone_number": "138****5678"}
    asked = AuditEvent.objects.get(action="number_owner_asked", target_id=query_id)
    stored = Query.objects.get(pk=query_id)
    assert stored.subject_kind == Kind.PHONE
    assert asked.details["subject_index"] == stored.subject_index.hex()
    assert Query.objects.filter(blind_index_filter(Query, "subject", "13812345678", kind=Kind.PHONE)).exists()

    adapter = signed_world_client(factories.adapter_key(telecom))
    inbox = adapter.get("/api/v1/adapter/inbox/").json()["results"]
    assert [(q["id"], q["kind"], q["input"]) for q in inbox] == [
        (query_id, "number_owner", {"phone_number": PHONE})
    ]
    not_valid = adapter.post(
        f"/api/v1/adapter/queries/{query_id}/answer/", {"status": "answered", "result": {}}, format="json"
    )
    assert not_valid.status_code == 400
    assert set(not_valid.json()["error"]["fields"]["result"]) == {"operator", "holder_name"}
    answered = adapter.post(f"/api/v1/adapter/queries/{query_id}/answer/", ANSWER, format="json")
    assert answered.json() == {"id": query_id, "status": "answered"}
    assert [(str(seen), answer, atomic) for seen, answer, atomic in number_owner.ANSWERS_SEEN] == [
        (query_id, RESULT, True)
    ]

    shown = token_client(world.officer_a).get(f"/api/v1/queries/{query_id}/").json()
    assert shown["result"] == {"operator": "Telecom One", "holder_name": "王*", "forwarded_to": "139****1111"}
    found = blind_index_filter(Finding, "value", "+86 139 0000 1111", kind=Kind.PHONE)
    (finding,) = Finding.objects.filter(found)
    assert (finding.kind, finding.case_id, finding.partner_id) == (Kind.PHONE, world.case_a.pk, telecom.pk)

    revealed = token_client(world.officer_a).post(
        f"/api/v1/queries/{query_id}/reveal/", {"purpose": "identify_suspect"}, format="json"
    )
    assert revealed.json()["revealed"] == {
        "phone_number": PHONE,
        "holder_name": HOLDER,
        "forwarded_to": FORWARDED_TO,
    }
    reveals = AuditEvent.objects.filter(action=AuditAction.PLAINTEXT_REVEALED, target_id=query_id)
    assert sorted(e.details["field"] for e in reveals) == ["forwarded_to", "holder_name", "phone_number"]
    assert HOLDER not in str(list(AuditEvent.objects.values_list("details", flat=True)))
