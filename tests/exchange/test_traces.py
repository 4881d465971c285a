"""The trace engine driven by hand-written bank answers: the rules of `exchange.traces.engine`
and what a trace sends and records. The helpers here drive the API tests too."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils.dateparse import parse_datetime

from afx_sdk import signing
from afx_sdk.models import Query as SdkQuery
from audit.models import AuditEvent
from core.errors import Conflict, Invalid, NotFound
from exchange.instructions import published_unit_keys
from exchange.kinds import spec_of
from exchange.models import Query, Trace, TraceAccount
from exchange.selectors import trace_get
from exchange.services import answers, cases, disclosure
from exchange.services.traces import TraceRequest, trace_start
from exchange.traces import engine
from exchange.wire import query_to_wire
from partners.identity import AdapterPrincipal
from partners.models import Partner
from partners.services import people
from privacy.selectors import blind_index_filter
from simulator.bank import SimulatedBank, UnitKeyring
from simulator.dataset import DEFAULT_SEED, FIRST_PAYMENT, mule_account
from simulator.ledger import Stop, ledger
from simulator.tables import BANK_PARTNERS
from tests import factories
from tests.exchange.conftest import ANSWER as LOOKUP_ANSWER
from tests.factories import SYSTEM, HeldKey

WEST_BIN = "621700"  # the second bank's prefix; the world's bank issues 622202
T0 = "2026-11-21T10:00:00+08:00"


@dataclass
class Banks:
    """The world's bank and a second one, each with the adapter key that answers for it."""

    east: Partner
    west: Partner
    keys: dict[int, HeldKey]


def banks(world: Any, *, grant_west: bool = True) -> Banks:
    west = factories.bank("bank-west", bins=(WEST_BIN,))
    for bank in (world.bank, west) if grant_west else (world.bank,):
        for kind in ("account_transfers", "stop_payment"):
            factories.grant(world.unit_a, bank, kind)
    return Banks(
        east=world.bank,
        west=west,
        keys={world.bank.pk: factories.adapter_key(world.bank), west.pk: factories.adapter_key(west)},
    )


def start(world: Any, **options: Any) -> Trace:
    options.setdefault("case_id", world.case_a.pk)
    return trace_start(actor=world.officer_a, request=TraceRequest(**options))


def node(trace: Trace, account: str) -> TraceAccount:
    return trace.accounts.get(blind_index_filter(TraceAccount, "account", account))


def transfer(to: str | None, amount: str, at: str = T0, channel: str = "online_banking") -> dict[str, Any]:
    if to is None:
        return {"amount": amount, "at": at, "channel": "cash_withdrawal"}
    return {"to_account": to, "amount": amount, "at": at, "channel": channel}


def answer(held: Banks, query: Query | None, payload: dict[str, Any]) -> Query:
    assert query is not None, "the engine sent no query for this node"
    key = held.keys[query.partner_id]
    answered, _ = answers.answer_record(
        actor=AdapterPrincipal(key=key.key), query_id=query.pk, payload=payload
    )
    return answered


def transfers(
    held: Banks,
    trace: Trace,
    account: str,
    moves: list[dict[str, Any]],
    balance: str = "0.00",
    holder: str = "王五",
) -> TraceAccount:
    """Answer the trace's account_transfers query of `account` with `moves` out of it."""
    asked = node(trace, account)
    assert asked.query is not None
    answer(
        held,
        asked.query,
        {
            "status": "answered",
            "result": {
                "holder_name": holder,
                "holder_id_number": "110101199001011234",
                "balance": balance,
                "transfers": moves,
            },
        },
    )
    return node(trace, account)


def stopped(held: Banks, query: Query | None, amount: str) -> Query:
    return answer(
        held,
        query,
        {
            "status": "answered",
            "result": {
                "outcome": "stopped",
                "amount_held": amount,
                "stopped_at": "2026-11-21T11:00:00+08:00",
            },
        },
    )


def money(value: str) -> Decimal:
    return Decimal(value)


A = "6222020000000001"
B = "6222020000000002"
C = "6217000000000003"
D = "6222020000000004"
E = "6217000000000005"
NOWHERE = "9999000000000006"


def account_transfer_queries(trace: Trace) -> list[Query]:
    return list(trace.queries.filter(kind="account_transfers"))


@pytest.fixture
def held(world: Any) -> Banks:
    return banks(world)


def test_fan_out_cross_bank_and_cash(world: Any, held: Banks) -> None:
    trace = start(world, account_number=A)
    first = node(trace, A)
    assert first.tier == 1 and first.bank == held.east and first.query is not None
    transfers(held, trace, A, [transfer(B, "100.00"), transfer(C, "200.00"), transfer(None, "50.00")])
    b, c = node(trace, B), node(trace, C)
    assert (b.tier, b.bank, c.tier, c.bank) == (2, held.east, 2, held.west)
    for child in (b.query, c.query):
        assert child is not None
        assert child.parent_id == first.query_id and child.trace_id == trace.pk and child.tier == 2
        assert child.case_id == world.case_a.pk and child.requested_by == world.officer_a
        assert child.status == "pending" and child.params["window_start"].startswith("2026-11-21")
    assert c.query is not None and c.query.partner == held.west
    edges = list(trace.transfers.order_by("pk"))
    assert [(e.target_id, e.amount, e.channel) for e in edges] == [
        (b.pk, money("100.00"), "online_banking"),
        (c.pk, money("200.00"), "online_banking"),
        (None, money("50.00"), "cash_withdrawal"),
    ]
    assert trace.accounts.count() == 3


def test_fan_in_and_cycle_ask_no_account_twice(world: Any, held: Banks) -> None:
    trace = start(world, account_number=A)
    transfers(held, trace, A, [transfer(B, "100.00"), transfer(C, "100.00")])
    transfers(held, trace, B, [transfer(D, "90.00")])
    transfers(held, trace, C, [transfer(D, "80.00")])
    transfers(held, trace, D, [transfer(A, "150.00"), transfer(E, "10.00")])
    asked = account_transfer_queries(trace)
    assert len(asked) == 5  # A, B, C, D, E: each once
    assert len({q.subject_index for q in asked}) == 5
    d = node(trace, D)
    assert d.tier == 3 and d.incoming.count() == 2
    assert node(trace, A).incoming.count() == 1 and node(trace, A).tier == 1
    assert node(trace, E).tier == 4
    assert d.query is not None and d.query.parent == node(trace, B).query


def test_threshold_tier_limit_and_unroutable_are_not_asked(world: Any, held: Banks) -> None:
    trace = start(world, account_number=A, max_tiers=2, min_amount=money("60.00"))
    transfers(held, trace, A, [transfer(B, "50.00"), transfer(C, "70.00"), transfer(NOWHERE, "70.00")])
    b, c, nowhere = node(trace, B), node(trace, C), node(trace, NOWHERE)
    assert (b.stop_reason, b.query) == ("below_threshold", None)
    assert c.query is not None and c.stop_reason == ""
    assert (nowhere.bank, nowhere.unroutable_reason, nowhere.query) == (None, "no_bank_for_bin", None)
    transfers(held, trace, C, [transfer(D, "70.00")])
    d = node(trace, D)
    assert (d.tier, d.stop_reason, d.query) == (3, "tier_limit", None)
    assert len(account_transfer_queries(trace)) == 2


def test_a_bank_without_the_units_grant_is_a_refused_query_on_the_node(world: Any) -> None:
    held = banks(world, grant_west=False)
    factories.grant(world.unit_a, held.west, "freeze")  # the unit knows the bank, may not ask it this
    trace = start(world, account_number=A)
    transfers(held, trace, A, [transfer(C, "100.00")])
    c = node(trace, C)
    assert c.query is not None and c.query.status == "refused" and c.query.reason == "no_grant"
    assert c.stop_reason == "no_grant" and c.query.trace == trace
    assert AuditEvent.objects.filter(action="query_refused", target_id=str(c.query.pk)).count() == 1


def test_a_bank_the_unit_holds_no_grant_to_at_all_stops_the_node(world: Any) -> None:
    held = banks(world, grant_west=False)
    trace = start(world, account_number=A)
    transfers(held, trace, A, [transfer(C, "100.00")])
    c = node(trace, C)
    assert (c.bank, c.query, c.stop_reason) == (held.west, None, "no_grant")
    refused = AuditEvent.objects.get(action="query_refused", target_id=str(trace.pk))
    assert refused.outcome == "denied" and refused.details["reason"] == "no_grant"
    assert refused.details["subject_index"] == c.account_index.hex() and C not in str(refused.details)


def test_a_deactivated_officer_stops_the_trace(world: Any, held: Banks) -> None:
    trace = start(world, account_number=A)
    people.person_deactivate(actor=SYSTEM, username=world.officer_a.username)
    transfers(held, trace, A, [transfer(B, "100.00")])
    b = node(trace, B)
    assert (b.query, b.stop_reason) == (None, "access_refused")
    trace.refresh_from_db()
    assert trace.finished_at is not None


def test_stop_payments_for_accounts_with_money_only(world: Any, held: Banks) -> None:
    lookup = answer_lookup(world)
    trace = start(world, from_query=lookup.pk, stop_payments=True)
    first = node(trace, LOOKUP_ACCOUNT)
    result: Any = LOOKUP_ANSWER["result"]
    assert trace.start_time == parse_datetime(result["paid_at"])
    assert first.query is not None and first.query.parent == lookup
    transfers(
        held,
        trace,
        LOOKUP_ACCOUNT,
        [transfer(B, "3000.00", at="2026-11-21T10:05:00+08:00"), transfer(C, "2000.00")],
        balance="200.00",
        holder="李四",
    )
    first = node(trace, LOOKUP_ACCOUNT)
    stop = first.stop_query
    assert stop is not None and stop.kind == "stop_payment" and stop.trace == trace and stop.tier == 1
    assert stop.parent == first.query and stop.partner == held.east
    assert stop.personal_input_document() == {"holder_name": "李四"}
    assert stop.params["amount"] == "5200.00" and stop.params["transaction_at"].startswith("2026-11-21")
    transfers(held, trace, B, [transfer(None, "3000.00")], balance="0.00")
    assert node(trace, B).stop_query is None
    transfers(held, trace, C, [], balance="2000.00", holder="赵六")
    c_stop = node(trace, C).stop_query
    assert c_stop is not None and c_stop.partner == held.west
    assert (c_stop.params["amount"], c_stop.personal_input_document()) == ("2000.00", {"holder_name": "赵六"})
    trace.refresh_from_db()
    assert trace.finished_at is None  # the stops are still out
    stopped(held, stop, "200.00")
    stopped(held, c_stop, "2000.00")
    trace.refresh_from_db()
    assert trace.finished_at is not None


def test_a_tier_one_stop_from_an_account_needs_the_officers_amount_and_time(world: Any, held: Banks) -> None:
    bare = start(world, account_number=A, stop_payments=True)
    assert node(transfers(held, bare, A, [], balance="10.00").trace, A).stop_query is None
    given = start(
        world,
        account_number=B,
        stop_payments=True,
        amount=money("800.00"),
        transaction_at=parse_datetime("2026-11-20T09:00:00+08:00"),
    )
    asked = node(given, B).query
    assert asked is not None
    assert set(spec_of(asked).wire_input(asked)) == {"account_number", "window_start"}
    transfers(held, given, B, [], balance="10.00")
    stop = node(given, B).stop_query
    assert stop is not None and stop.params["amount"] == "800.00"


def test_finished_when_the_last_query_closes_also_without_an_answer(world: Any, held: Banks) -> None:
    trace = start(world, account_number=A)
    assert trace.finished_at is None
    transfers(held, trace, A, [transfer(B, "100.00"), transfer(C, "100.00")])
    answer(held, node(trace, B).query, {"status": "not_found"})
    trace.refresh_from_db()
    assert trace.finished_at is None
    Query.objects.filter(pk=str(node(trace, C).query_id)).update(status="expired")
    trace_get(world.officer_a, trace.pk)  # read lazily settles it
    trace.refresh_from_db()
    assert trace.finished_at is not None


def test_an_unroutable_start_finishes_at_once(world: Any, held: Banks) -> None:
    trace = start(world, account_number=NOWHERE)
    trace.refresh_from_db()
    assert trace.finished_at is not None and trace.queries.count() == 0
    assert node(trace, NOWHERE).unroutable_reason == "no_bank_for_bin"


def test_an_account_met_at_tier_three_is_found_by_account_search(world: Any, held: Banks) -> None:
    trace = start(world, account_number=A)
    transfers(held, trace, A, [transfer(B, "100.00")])
    transfers(held, trace, B, [transfer(D, "100.00")])
    assert node(trace, D).tier == 3
    found = disclosure.account_search(actor=world.officer_a, account_number=D)
    assert [case.pk for case in found.cases] == [world.case_a.pk]
    assert disclosure.account_search(actor=world.officer_b, account_number=D).other_units_cases == 1


def test_trace_start_refusals(world: Any, held: Banks) -> None:
    with pytest.raises(NotFound):
        trace_start(actor=world.officer_b, request=TraceRequest(case_id=world.case_a.pk, account_number=A))
    with pytest.raises(Invalid):
        start(world, account_number=A, from_query=world.query_a.pk)
    with pytest.raises(Invalid):
        start(world, account_number=A, max_tiers=6)
    with pytest.raises(Invalid):  # not answered yet
        start(world, from_query=world.query_a.pk)
    cases.case_close(actor=world.officer_a, case_id=world.case_a.pk)
    with pytest.raises(Conflict):
        start(world, account_number=A)
    assert not Trace.objects.exists()
    assert AuditEvent.objects.filter(action="trace_started", outcome="denied").count() == 1


def test_trace_started_is_audited_without_personal_values(world: Any, held: Banks) -> None:
    trace = start(world, account_number=A)
    event = AuditEvent.objects.get(action="trace_started", target_id=str(trace.pk))
    assert event.case_id == str(world.case_a.pk)
    assert A not in str(event.details) and event.details["start_index"] == node(trace, A).account_index.hex()


LOOKUP_ACCOUNT = "6222020200112233445"


def answer_lookup(world: Any) -> Query:
    answered, _ = answers.answer_record(
        actor=AdapterPrincipal(key=world.key_x.key), query_id=world.query_a.pk, payload=LOOKUP_ANSWER
    )
    return answered


def test_a_trace_holds_at_most_its_limit_of_accounts(world: Any, held: Banks, monkeypatch: Any) -> None:
    monkeypatch.setattr(engine, "MAX_ACCOUNTS", 3)
    trace = start(world, account_number=A)
    transfers(
        held,
        trace,
        A,
        [transfer(B, "10.00"), transfer(C, "10.00"), transfer(D, "10.00"), transfer(B, "5.00")],
    )
    assert trace.accounts.count() == 3
    a = node(trace, A)
    assert a.stop_reason == "trace_limit"
    assert [e.target_id for e in a.outgoing.order_by("pk")] == [
        node(trace, B).pk,
        node(trace, C).pk,
        None,
        node(trace, B).pk,
    ]


def _ledger_banks(world: Any) -> dict[str, tuple[SimulatedBank, HeldKey]]:
    """The simulator's three banks, registered with its BINs, answering from its ledger; the
    world's own bank gives up its BIN (622202, also bank-east's), so routing is the simulator's."""
    Partner.objects.filter(pk=world.bank.pk).update(bins=[])
    book = ledger()
    made = {}
    for code, bins in BANK_PARTNERS.items():
        bank = factories.bank(code, bins=bins)
        factories.grant(world.unit_a, bank, "account_transfers")
        made[code] = (SimulatedBank(code, book, UnitKeyring(dict)), factories.adapter_key(bank))
    return made


def _answer_tier_by_tier(trace: Trace, made: dict[str, tuple[SimulatedBank, HeldKey]]) -> None:
    """Answer the trace's queries as the simulated banks would, lowest tier first."""
    while True:
        waiting = list(
            trace.queries.filter(status="pending")
            .select_related("partner", "case__unit")
            .order_by("tier", "created_at")
        )
        if not waiting:
            return
        lowest = waiting[0].tier
        for query in (q for q in waiting if q.tier == lowest):
            bank, held_key = made[query.partner.code]
            reply = bank.handle(SdkQuery.from_json(query_to_wire(query)))
            answers.answer_record(
                actor=AdapterPrincipal(key=held_key.key), query_id=query.pk, payload=reply.to_json()
            )


@pytest.mark.parametrize(("max_tiers", "min_amount"), [(5, "0"), (3, "2000.00")])
def test_a_trace_over_the_ledger_finds_what_the_ledger_expects(
    world: Any, max_tiers: int, min_amount: str
) -> None:
    made = _ledger_banks(world)
    start_account = mule_account(DEFAULT_SEED, 0).number
    trace = start(
        world,
        account_number=start_account,
        start_time=FIRST_PAYMENT,
        max_tiers=max_tiers,
        min_amount=money(min_amount),
    )
    _answer_tier_by_tier(trace, made)
    expected = ledger().expected_trace(start_account, FIRST_PAYMENT, max_tiers, money(min_amount))
    nodes = list(trace.accounts.select_related("query"))
    asked = {n.account: n.tier for n in nodes if n.query is not None}
    assert asked == expected.tiers
    windows = {n.account: parse_datetime(n.query.params["window_start"]) for n in nodes if n.query}
    assert windows == expected.window_starts
    assert {n.account for n in nodes if n.query and n.query.status == "not_found"} == expected.not_found
    met = {start_account} | {t.to_account for t in expected.transfers if t.to_account}
    assert {n.account for n in nodes} == met
    accounts = {n.pk: n.account for n in nodes}
    edges = sorted(
        (accounts[e.source_id], accounts[e.target_id] if e.target_id else "", e.amount, e.at)
        for e in trace.transfers.all()
    )
    assert edges == sorted((t.source, t.to_account or "", t.amount, t.at) for t in expected.transfers)
    unroutable = {n.account for n in nodes if n.unroutable_reason and not n.stop_reason}
    assert unroutable == {t.to_account for t in expected.stopped(Stop.UNROUTABLE)}
    assert len(asked) == trace.queries.filter(kind="account_transfers").count()  # none asked twice
    # A trace worth comparing: several tiers, more than one bank, accounts met more than once,
    # and (over five tiers) an account no bank issues.
    assert len(asked) >= 10 and len({n.bank_id for n in nodes if n.bank_id}) >= 2
    assert any(n.incoming.count() > 1 for n in nodes)
    assert unroutable or max_tiers < 5
    trace.refresh_from_db()
    assert trace.finished_at is not None


def test_an_account_left_for_a_small_transfer_is_asked_when_a_larger_one_reaches_it(
    world: Any, held: Banks
) -> None:
    trace = start(world, account_number=A, min_amount=money("60.00"))
    transfers(held, trace, A, [transfer(B, "10.00"), transfer(C, "100.00")])
    assert node(trace, B).query is None
    transfers(held, trace, C, [transfer(B, "90.00", at="2026-11-21T12:00:00+08:00")])
    b = node(trace, B)
    assert b.query is not None and (b.tier, b.stop_reason) == (3, "")
    assert b.query.parent == node(trace, C).query and b.query.params["window_start"].startswith(
        "2026-11-21 12"
    )
    transfers(held, trace, C, [transfer(B, "90.00", at="2026-11-21T12:00:00+08:00")])  # the same again
    assert len(account_transfer_queries(trace)) == 3


def test_stop_payments_over_the_ledger_match_the_banks_records(world: Any) -> None:
    made = _ledger_banks(world)
    for code in BANK_PARTNERS:
        factories.grant(world.unit_a, Partner.objects.get(code=code), "stop_payment")
        bank = made[code][0]
        made[code] = (SimulatedBank(code, bank.ledger, UnitKeyring(_unit_keys)), made[code][1])
    start_account = mule_account(DEFAULT_SEED, 0).number
    trace = start(
        world, account_number=start_account, start_time=FIRST_PAYMENT, max_tiers=3, stop_payments=True
    )
    _answer_tier_by_tier(trace, made)
    answered = [n for n in trace.accounts.select_related("query", "stop_query") if n.balance is not None]
    with_money = [n for n in answered if n.balance is not None and n.balance > 0 and n.tier > 1]
    assert with_money, "the ledger's accounts keep money on some accounts"
    assert all(n.stop_query is None for n in answered if n.balance == 0 or n.tier == 1)
    outcomes = {(n.stop_query.answer_document() or {}).get("outcome") for n in with_money if n.stop_query}
    assert outcomes == {"stopped"} and all(n.stop_query for n in with_money)
    graph = trace_get(world.officer_a, trace.pk)
    assert graph.state == "finished" and graph.amount_stopped > 0


def _unit_keys() -> dict[str, tuple[str, Any]]:
    return {
        key["key_id"]: (key["unit"], signing.load_public_key(key["public_key"]))
        for key in published_unit_keys()
    }
