"""A case's listed phone numbers sent to a telecom as number blocks in one step: a query per
active phone entry the case listed, through the submission path of every query (grant, case,
scope), answered by the simulated telecom; one audit event for the act, no number in any."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from afx_sdk.models import Query as SdkQuery
from audit.choices import Outcome
from audit.models import AuditEvent
from core.errors import Conflict, Forbidden, Invalid, NotFound
from exchange.models import Query
from exchange.services import answers, cases
from exchange.wire import query_to_wire
from partners.choices import PartnerKind
from partners.identity import AdapterPrincipal
from partners.models import Grant
from partners.permissions import send_permission
from simulator.telecom import SimulatedTelecom
from tests import factories
from tests.clients import token_client
from tests.watchlist.service_matrix import ACCOUNT, PHONE, listed
from watchlist import services
from watchlist.audit_actions import WatchlistAction

NOW = datetime(2025, 9, 1, 4, 0, tzinfo=UTC)
OTHER_PHONE = "+86 138 1234 5678"
BRACKETED = "(135) 5555-6666"  # not as number blocks take a number: sent as its digits
TOO_LONG = "1391234567813912345678"  # more digits than any phone number: left out
DIGITS = ("13912345678", "13812345678", "13555556666", "13700001111", "1234 5678", TOO_LONG)


class Telecom:
    """tel-east registered at AFX (granted to unit A unless told), its adapter's key, and
    the simulated operator that answers for it."""

    def __init__(self, world: Any, *, granted: bool = True) -> None:
        self.partner = factories.answering_partner(
            "tel-east", kind=PartnerKind.TELECOM, answers=("number_block",)
        )
        if granted:
            factories.grant(world.unit_a, self.partner, "number_block")
        else:
            self.seen_without_grant(world)
        self.key = factories.adapter_key(self.partner)
        self.operator = SimulatedTelecom("tel-east", seed=7, clock=lambda: NOW)

    def seen_without_grant(self, world: Any) -> None:
        """Let unit A see the telecom without the right to send it number blocks (a grant of
        a kind AFX no longer carries, as `tests.exchange.conftest.grant_another_kind`): the
        one case where a refusal names the partner, as `no_grant`; a partner the unit cannot
        see at all is refused like an unknown code."""
        Grant.objects.create(
            group=world.unit_a.group,
            permission=send_permission("account_trace"),
            content_object=self.partner,
            expires_at=timezone.now() + timedelta(days=1),
        )

    def answer(self, query: Query) -> Query:
        query = Query.objects.select_related("partner", "case__unit").get(pk=query.pk)
        reply = self.operator.handle(SdkQuery.from_json(query_to_wire(query)))
        answered, _ = answers.answer_record(
            actor=AdapterPrincipal(key=self.key.key), query_id=query.pk, payload=reply.to_json()
        )
        return answered


def phones_listed(world: Any) -> dict[str, Any]:
    """Three numbers case A listed (and one too long to be a number), one only another case
    of unit A listed, one case A listed and delisted, and an account: only the first three
    are case A's active phone entries to block."""
    first = listed(world, PHONE, kind="phone", reason="fraud_number", restriction="block")
    second = listed(world, OTHER_PHONE, kind="phone", reason="sold_number", restriction="block")
    third = listed(world, BRACKETED, kind="phone", reason="fraud_number")
    listed(world, TOO_LONG, kind="phone", reason="fraud_number")
    other_case = factories.case(world.officer_a, "A-0002")
    listed(world, "13700001111", kind="phone", reason="fraud_number", case=other_case)
    gone = listed(world, "13600002222", kind="phone", reason="fraud_number")
    services.entry_delist(actor=world.supervisor_a, entry_id=gone.pk, reason="number_reassigned")
    listed(world, ACCOUNT)
    return {"first": first, "second": second, "third": third, "other_case": other_case}


def send(world: Any, actor: Any = None, **changes: Any) -> services.BlocksSent:
    arguments = {"case_id": world.case_a.pk, "telecom": "tel-east", "reason": "fraud_call", **changes}
    return services.entries_block(actor=actor or world.officer_a, **arguments)


def audit_text() -> str:
    return json.dumps(list(AuditEvent.objects.values_list("details", flat=True)), ensure_ascii=False)


def test_the_cases_phone_entries_become_number_blocks_the_telecom_answers(world: Any) -> None:
    telecom = Telecom(world)
    made = phones_listed(world)
    blocks = send(world, period_days=30)
    assert [item.entry.pk for item in blocks.sent] == [made[n].pk for n in ("first", "second", "third")]
    assert blocks.skipped == 1
    for item in blocks.sent:
        query = item.query
        assert query.kind == "number_block" and query.case_id == world.case_a.pk
        assert query.partner_id == telecom.partner.pk and query.status == "pending"
        assert query.requested_by_id == world.officer_a.pk
        assert query.params == {"reason": "fraud_call", "period_days": 30}
    # As listed when a number block takes it so, else its digits.
    assert [item.query.subject for item in blocks.sent] == [PHONE, OTHER_PHONE, "13555556666"]
    outcomes = [telecom.answer(item.query).answer_document() for item in blocks.sent]
    assert [o["outcome"] for o in outcomes if o] == ["blocked"] * 3
    assert telecom.operator.blocked_until("13812345678") is not None
    (act,) = AuditEvent.objects.filter(action=WatchlistAction.BLOCKS_SENT)
    assert act.case_id == str(world.case_a.pk) and act.target_id == str(world.case_a.pk)
    assert act.details == {
        "telecom": "tel-east",
        "count": 3,
        "refused": 0,
        "skipped": 1,
        "reason": "fraud_call",
        "period_days": 30,
    }
    assert AuditEvent.objects.filter(action="number_block_requested").count() == 3
    text = audit_text()
    assert not any(digits in text for digits in DIGITS)


def test_over_http_the_queries_come_back_masked(world: Any) -> None:
    Telecom(world)
    phones_listed(world)
    body = {"case": str(world.case_a.pk), "telecom": "tel-east", "days": 90, "reason": "fraud_sms"}
    response = token_client(world.supervisor_a).post("/api/v1/watchlist/blocks/", body, format="json")
    assert response.status_code == 202, response.content
    shown = response.json()
    assert shown["case"] == str(world.case_a.pk) and shown["count"] == 3 and shown["skipped"] == 1
    assert [q["phone_number"] for q in shown["queries"]] == ["139****5678", "138****5678", "135****6666"]
    assert {q["status"] for q in shown["queries"]} == {"pending"}
    assert not any(digits in response.content.decode() for digits in DIGITS)
    ids = {q["id"] for q in shown["queries"]}
    made = set(Query.objects.filter(kind="number_block").values_list("pk", flat=True))
    assert made == {uuid.UUID(i) for i in ids}
    listing = token_client(world.officer_a).get("/api/v1/queries/", {"case": str(world.case_a.pk)}).json()
    flags = {q["id"]: q["watchlist_cases"] for q in listing["results"] if q["id"] in ids}
    assert flags == dict.fromkeys(ids, 1)  # each number is listed by one case


def test_without_a_grant_the_first_block_is_kept_refused_and_nothing_else_is_sent(world: Any) -> None:
    Telecom(world, granted=False)
    phones_listed(world)
    with pytest.raises(Forbidden) as refused:
        send(world)
    assert refused.value.code == "no_grant"
    (query,) = Query.objects.filter(kind="number_block")
    assert query.status == "refused" and query.reason == "no_grant"
    assert not AuditEvent.objects.filter(action=WatchlistAction.BLOCKS_SENT).exists()
    body = {"case": str(world.case_a.pk), "telecom": "tel-east", "reason": "fraud_call"}
    response = token_client(world.officer_a).post("/api/v1/watchlist/blocks/", body, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "no_grant"


def test_refusals_as_for_any_query(world: Any) -> None:
    Telecom(world)
    phones_listed(world)
    with pytest.raises(NotFound):
        send(world, world.officer_b)  # another unit's case
    with pytest.raises(Forbidden):
        send(world, world.auditor)
    with pytest.raises(Invalid):
        send(world, telecom=world.bank.code)  # answers no number blocks
    with pytest.raises(Invalid):
        send(world, telecom="tel-nowhere")
    with pytest.raises(Invalid):
        send(world, reason="he calls at night")
    with pytest.raises(Invalid):
        send(world, period_days=0)
    assert not Query.objects.filter(kind="number_block").exists()
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() == 2  # the 404 and the 403
    cases.case_close(actor=world.officer_a, case_id=world.case_a.pk)
    with pytest.raises(Conflict) as closed:
        send(world)
    assert closed.value.code == "case_closed"
    api = token_client(world.officer_b)
    body = {"case": str(world.case_a.pk), "telecom": "tel-east", "reason": "fraud_call"}
    assert api.post("/api/v1/watchlist/blocks/", body, format="json").status_code == 404
    bad = token_client(world.officer_a).post(
        "/api/v1/watchlist/blocks/", {**body, "telecom": PHONE}, format="json"
    )
    assert bad.status_code == 400 and PHONE not in bad.content.decode()


def test_a_case_without_phone_entries_is_told_there_is_nothing_to_block(world: Any) -> None:
    Telecom(world)
    listed(world, ACCOUNT)
    with pytest.raises(Invalid, match="Nothing to block"):
        send(world)
    assert not AuditEvent.objects.filter(action=WatchlistAction.BLOCKS_SENT).exists()
    assert not Query.objects.filter(kind="number_block").exists()
