"""The `number_block` kind end to end: an officer asks a telecom to block a phone number; the
simulated telecom (`simulator.telecom`) answers blocked, already blocked or refused; the answer
is stored encrypted, shown masked, revealed on purpose, and no audit event holds the number."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime

from afx_sdk.models import Query as SdkQuery
from audit.models import AuditEvent
from core.errors import Invalid
from exchange.kinds import spec_for
from exchange.kinds.number_block import NumberBlock
from exchange.models import Finding, Query
from exchange.services import answers, queries
from exchange.wire import query_to_wire
from partners.choices import PartnerKind
from partners.identity import AdapterPrincipal
from privacy.choices import Kind
from privacy.selectors import blind_index_filter
from simulator.telecom import SimulatedTelecom
from tests import factories
from tests.clients import signed_world_client, token_client
from tests.factories import HeldKey

NUMBER = "+86 138 1234 5678"
DIGITS = "13812345678"
NOW = datetime(2025, 9, 1, 4, 0, tzinfo=UTC)
KIND = "number_block"


class Telecom:
    """The telecom partner registered at AFX, its adapter's key, and the simulated operator."""

    def __init__(self, world: Any) -> None:
        self.partner = factories.answering_partner("tel-east", kind=PartnerKind.TELECOM, answers=(KIND,))
        factories.grant(world.unit_a, self.partner, KIND)
        self.key: HeldKey = factories.adapter_key(self.partner)
        self.operator = SimulatedTelecom("tel-east", seed=7, clock=lambda: NOW)

    def answer(self, query: Query) -> Query:
        """Answer as the simulated telecom's adapter: the wire message in, its answer back."""
        query = Query.objects.select_related("partner", "case__unit").get(pk=query.pk)
        reply = self.operator.handle(SdkQuery.from_json(query_to_wire(query)))
        answered, changed = answers.answer_record(
            actor=AdapterPrincipal(key=self.key.key), query_id=query.pk, payload=reply.to_json()
        )
        assert changed
        return answered


@pytest.fixture
def telecom(world: Any) -> Telecom:
    return Telecom(world)


def submit(world: Any, telecom: Telecom, number: str = NUMBER, **changes: Any) -> Query:
    data = {"phone_number": number, "reason": "fraud_call", "period_days": 30, **changes}
    return queries.query_submit(
        actor=world.officer_a,
        submission=queries.Submission(
            case_id=world.case_a.pk, kind=KIND, partner=telecom.partner.code, input=data
        ),
    )


def moment(text: str) -> datetime:
    parsed = parse_datetime(text)
    assert parsed is not None and parsed.tzinfo is not None
    return parsed


def raw_column(query: Query, column: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {Query._meta.db_table} WHERE id = %s",  # noqa: S608 - test-only identifiers
            [Query._meta.pk.get_db_prep_value(query.pk, connection)],
        )
        return bytes(cursor.fetchone()[0])


def audit_text() -> str:
    return json.dumps(list(AuditEvent.objects.values_list("details", flat=True)), ensure_ascii=False)


def assert_no_number_in_audit() -> None:
    text = audit_text()
    assert DIGITS not in text and "138 1234" not in text and "1234 5678" not in text


def test_the_kind_is_answered_by_telecoms_only(world: Any) -> None:
    spec = spec_for(KIND)
    assert spec is not None and spec.answered_by == frozenset({PartnerKind.TELECOM})
    with pytest.raises(Invalid):
        factories.answering_partner(kind=PartnerKind.BANK, answers=(KIND,))


def test_a_number_is_blocked_stored_encrypted_shown_masked_and_revealed(world: Any, telecom: Telecom) -> None:
    query = submit(world, telecom)
    assert query.status == "pending"
    assert query.subject_kind == Kind.PHONE
    assert query.params == {"reason": "fraud_call", "period_days": 30}
    assert Query.objects.filter(blind_index_filter(Query, "subject", DIGITS, kind=Kind.PHONE)).exists()
    requested = AuditEvent.objects.get(action="number_block_requested", target_id=str(query.pk))
    assert requested.details["subject_index"] == query.subject_index.hex()

    wire = query_to_wire(Query.objects.select_related("partner", "case__unit").get(pk=query.pk))
    assert wire["input"] == {"phone_number": NUMBER, "reason": "fraud_call", "period_days": 30}
    assert "instruction" not in wire

    answered = telecom.answer(query)
    assert answered.status == "answered"
    document = answered.answer_document()
    assert document is not None
    until = document["until"]
    assert moment(until) == NOW + timedelta(days=30)
    assert document == {"phone_number": NUMBER, "outcome": "blocked", "until": until, "refusal_reason": None}
    for column in ("answer", "subject"):
        stored = raw_column(answered, column)
        assert DIGITS.encode() not in stored and b"1234 5678" not in stored and b"blocked" not in stored
    assert not Finding.objects.filter(query=answered).exists()  # the number is the subject, not a finding

    shown = token_client(world.officer_a).get(f"/api/v1/queries/{query.pk}/")
    assert shown.status_code == 200
    body = shown.json()
    assert body["input"] == {"phone_number": "138****5678", "reason": "fraud_call", "period_days": 30}
    assert body["result"] == {
        "phone_number": "138****5678",
        "outcome": "blocked",
        "until": until,
        "refusal_reason": None,
    }
    assert DIGITS not in shown.content.decode() and "1234 5678" not in shown.content.decode()
    audited = token_client(world.auditor).get(f"/api/v1/queries/{query.pk}/").json()
    assert audited["result"]["phone_number"] == "138****5678"
    assert_no_number_in_audit()

    revealed = token_client(world.officer_a).post(
        f"/api/v1/queries/{query.pk}/reveal/", {"purpose": "evidence"}, format="json"
    )
    assert revealed.status_code == 200, revealed.json()
    assert revealed.json()["revealed"] == {"phone_number": NUMBER, "result_phone_number": NUMBER}
    assert_no_number_in_audit()


def test_a_number_blocked_already_answers_its_blocks_end(world: Any, telecom: Telecom) -> None:
    number, until = next(iter(telecom.operator.preset().items()))
    answered = telecom.answer(submit(world, telecom, number, reason="fraud_sms"))
    document = answered.answer_document()
    assert document is not None
    assert (document["outcome"], moment(document["until"])) == ("already_blocked", until)
    again = telecom.answer(submit(world, telecom, NUMBER))
    assert again.answer_document()["outcome"] == "blocked"  # type: ignore[index]
    third = telecom.answer(submit(world, telecom, DIGITS, period_days=365))
    assert third.answer_document()["outcome"] == "already_blocked"  # type: ignore[index]
    assert third.answer_document()["until"] == again.answer_document()["until"]  # type: ignore[index]
    # The outcome code is kept in the clear beside the encrypted answer, for the figures.
    assert [q.outcome for q in (answered, again, third)] == ["already_blocked", "blocked", "already_blocked"]


def test_a_protected_number_is_refused_with_a_code(world: Any, telecom: Telecom) -> None:
    answered = telecom.answer(submit(world, telecom, "110", reason="impersonation"))
    assert (answered.status, answered.outcome) == ("answered", "refused")
    assert answered.answer_document() == {
        "phone_number": "110",
        "outcome": "refused",
        "until": None,
        "refusal_reason": "protected_number",
    }
    shown = token_client(world.officer_a).get(f"/api/v1/queries/{answered.pk}/").json()
    assert (
        shown["result"]["phone_number"] != "110" and shown["result"]["refusal_reason"] == "protected_number"
    )


def test_the_period_defaults_to_180_days(world: Any, telecom: Telecom) -> None:
    data = {"phone_number": NUMBER, "reason": "phishing_link"}
    query = queries.query_submit(
        actor=world.officer_a,
        submission=queries.Submission(
            case_id=world.case_a.pk, kind=KIND, partner=telecom.partner.code, input=data
        ),
    )
    assert query.params == {"reason": "phishing_link", "period_days": 180}
    document = telecom.answer(query).answer_document()
    assert document is not None and moment(document["until"]) == NOW + timedelta(days=180)


BAD_INPUTS = [
    ({"phone_number": "call 13812345678 now", "reason": "fraud_call"}, "phone_number"),
    ({"phone_number": "12", "reason": "fraud_call"}, "phone_number"),
    ({"phone_number": "1" * 16, "reason": "fraud_call"}, "phone_number"),
    ({"phone_number": NUMBER, "reason": "spam_from_zhang_san"}, "reason"),
    ({"phone_number": NUMBER, "reason": "fraud_call", "period_days": 0}, "period_days"),
    ({"phone_number": NUMBER, "reason": "fraud_call", "period_days": 366}, "period_days"),
    ({"phone_number": NUMBER, "reason": "fraud_call", "period_days": "ninety"}, "period_days"),
    ({"reason": "fraud_call"}, "phone_number"),
]


@pytest.mark.parametrize(("data", "field"), BAD_INPUTS)
def test_bad_input_is_a_400_that_quotes_nothing(world: Any, telecom: Telecom, data: dict, field: str) -> None:
    body = {"case": str(world.case_a.pk), "kind": KIND, "partner": telecom.partner.code, "input": data}
    response = token_client(world.officer_a).post("/api/v1/queries/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"]
    text = response.content.decode()
    for value in data.values():
        if isinstance(value, str) and len(value) >= 5 and value != "fraud_call":
            assert value not in text
    assert "13812345678" not in text and "zhang" not in text
    assert not Query.objects.filter(kind=KIND).exists()
    assert_no_number_in_audit()


BAD_ANSWERS = [
    {"phone_number": NUMBER, "outcome": "blocked"},  # no end
    {"phone_number": NUMBER, "outcome": "refused"},  # no reason
    {"phone_number": NUMBER, "outcome": "refused", "refusal_reason": "the subscriber 张三 complained"},
    {"phone_number": NUMBER, "outcome": "refused", "refusal_reason": "other", "until": NOW.isoformat()},
    {"phone_number": NUMBER, "outcome": "blocked", "until": NOW.isoformat(), "refusal_reason": "other"},
    {"outcome": "blocked", "until": NOW.isoformat()},
]


@pytest.mark.parametrize("result", BAD_ANSWERS)
def test_an_answer_the_schema_refuses_is_a_400_that_quotes_nothing(
    world: Any, telecom: Telecom, result: dict
) -> None:
    query = submit(world, telecom)
    adapter = signed_world_client(telecom.key)
    inbox = adapter.get("/api/v1/adapter/inbox/").json()["results"]
    assert [item["id"] for item in inbox] == [str(query.pk)]
    response = adapter.post(
        f"/api/v1/adapter/queries/{query.pk}/answer/", {"status": "answered", "result": result}, format="json"
    )
    assert response.status_code == 400
    assert "result" in response.json()["error"]["fields"]
    text = response.content.decode()
    assert DIGITS not in text and "1234 5678" not in text and "张三" not in text
    query.refresh_from_db()
    assert query.status != "answered"
    assert_no_number_in_audit()


def test_a_kind_whose_outcome_is_not_a_choice_of_its_answer_does_not_start() -> None:
    class Misdeclared(NumberBlock):
        outcome_key = "until"  # a time, not a code: it would not be safe to keep in the clear

    with pytest.raises(ValueError, match="its outcome 'until' is not a choice of its answer"):
        Misdeclared().check()
    NumberBlock().check()


def test_the_answer_digest_is_keyed_and_a_repeat_is_still_a_no_op(world: Any, telecom: Telecom) -> None:
    query = submit(world, telecom)
    reply = telecom.operator.handle(SdkQuery.from_json(query_to_wire(Query.objects.get(pk=query.pk))))
    adapter = AdapterPrincipal(key=telecom.key.key)
    answered, changed = answers.answer_record(actor=adapter, query_id=query.pk, payload=reply.to_json())
    assert changed
    spec = spec_for(KIND)
    assert spec is not None
    result = spec.validate_answer(reply.to_json()["result"])  # what the service digests
    canonical = json.dumps({"status": "answered", "result": result}, sort_keys=True, default=str)
    # An unkeyed hash of an answer naming one phone number could be reversed by trying them all.
    assert answered.answer_digest and answered.answer_digest != hashlib.sha256(canonical.encode()).hexdigest()
    again, changed = answers.answer_record(actor=adapter, query_id=query.pk, payload=reply.to_json())
    assert not changed and again.answer_digest == answered.answer_digest
