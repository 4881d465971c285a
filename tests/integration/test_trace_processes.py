"""Traces, stop-payments and freezes across real processes: PostgreSQL, the broker, a Celery
worker, the simulated platform and three simulated banks (two pull, one push) over HTTP,
each checked against the banks' own ledger (`simulator.ledger`), the reference of the rules.

The officer acts over real HTTP (a token, the live server), as a client of the API would.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from knox.models import AuthToken

from afx_sdk import signing
from audit.models import AuditEvent
from demo.orders import TRACE_TIERS, traceable_order
from demo.processes import free_port
from exchange.audit_actions import ExchangeAction
from exchange.choices import HoldKind, HoldStatus, QueryStatus
from exchange.delivery.hold_expiry import holds_sweep
from exchange.models import Hold, OutboxMessage, Query, Trace, TraceAccount, TraceTransfer
from exchange.push_key import push_signing_key
from exchange.services import approvals, queries
from partners.choices import Delivery
from partners.models import Partner
from simulator.dataset import dataset
from simulator.ledger import ExpectedTrace, LedgerAccount, Stop, ledger
from simulator.tables import BANK_PARTNERS, bank_partner_of
from tests import factories
from tests.factories import BANK_KINDS, HeldKey
from tests.integration.conftest import SimulatorProcess, ask, settled, wait_for

pytestmark = pytest.mark.integration

BANK_MODES = {"bank-east": "pull", "bank-river": "pull", "bank-coast": "push"}
PULL_BANK = "bank-east"


@dataclass
class Banks:
    """The three demo banks registered (BINs, grants to the world's unit A, adapter keys) and
    their simulators, started by a test and stopped when it ends."""

    gateway: str
    push_port: int
    keys: dict[str, HeldKey]
    running: dict[str, SimulatorProcess] = field(default_factory=dict)

    def start(self, code: str, *faults: str) -> SimulatorProcess:
        mode = BANK_MODES[code]
        if mode == "push":
            env = {"AFX_GATEWAY_PUBLIC_KEY": signing.public_key_text(push_signing_key())}
            args: tuple[str, ...] = ("--port", str(self.push_port))
        else:
            env = {"AFX_KEY_ID": self.keys[code].key.key_id, "AFX_PRIVATE_KEY": self.keys[code].private_key}
            args = ()
        simulator = SimulatorProcess(code, mode, env, "--gateway", self.gateway, *args, *faults)
        self.running[code] = simulator
        return simulator

    def start_all(self) -> None:
        for code in BANK_MODES:
            self.start(code)

    def stop(self) -> None:
        for simulator in self.running.values():
            if simulator.process.running():
                simulator.stop()


@pytest.fixture
def banks(world: Any, platforms: Any, live_server: Any) -> Iterator[Banks]:
    # The test world's own bank issues a BIN of bank-east's, and no two banks may share one: it
    # gives it up here (no service changes a bank's BINs yet), so routing is the demo's.
    Partner.objects.filter(pk=world.bank.pk).update(bins=[])
    port = free_port()
    keys = {}
    for code, mode in BANK_MODES.items():
        bank = factories.bank(
            code,
            bins=BANK_PARTNERS[code],
            delivery=Delivery.PUSH if mode == "push" else Delivery.PULL,
            webhook_url=f"http://127.0.0.1:{port}/afx/webhook" if mode == "push" else "",
        )
        for kind in BANK_KINDS:
            factories.grant(world.unit_a, bank, kind, days=1)
        keys[code] = factories.adapter_key(bank)
    started = Banks(gateway=live_server.url, push_port=port, keys=keys)
    yield started
    started.stop()


def api(person: Any, live_server: Any) -> httpx.Client:
    """A person's client of the live gateway, with a sign-in token of their own."""
    _, token = AuthToken.objects.create(user=person)
    return httpx.Client(base_url=live_server.url, headers={"Authorization": f"Token {token}"}, timeout=10)


def looked_up(world: Any, platforms: Any, order_number: str) -> Query:
    platforms.push_simulator()
    lookup = settled(ask(world, "paylink", order_number))
    assert lookup.status == QueryStatus.ANSWERED
    return lookup


def trace_started(client: httpx.Client, case_id: Any, **body: Any) -> str:
    response = client.post(f"/api/v1/cases/{case_id}/traces/", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def trace_finished(client: httpx.Client, trace_id: str, timeout: float = 120) -> dict[str, Any]:
    """Poll the trace as the officer would, until it has finished (its graph, then)."""

    def finished() -> dict[str, Any] | None:
        document = client.get(f"/api/v1/traces/{trace_id}/").json()
        return document if document["state"] == "finished" else None

    return dict(wait_for(finished, timeout=timeout, interval=0.25))


def expected_for(order_number: str) -> ExpectedTrace:
    order = dataset("paylink").lookup(order_number)
    assert order is not None
    return ledger().expected_trace(order.payee.number, order.paid_at, TRACE_TIERS)


def assert_trace_is_the_ledgers(trace_id: str, expected: ExpectedTrace) -> None:
    """The trace asked exactly the accounts the ledger says, each once at its tier, saw exactly
    its transfers, and stopped where the rules stop."""
    trace = Trace.objects.get(pk=trace_id)
    nodes = list(TraceAccount.objects.filter(trace=trace).select_related("query"))
    asked = {node.account: node.tier for node in nodes if node.query_id}
    assert asked == expected.tiers
    subjects = Counter(query.subject for query in trace.queries.filter(kind="account_transfers"))
    assert set(subjects.values()) == {1}
    assert len(subjects) == len(expected.tiers)
    edges = Counter(
        (edge.source.account, edge.target.account if edge.target else None, edge.amount, edge.at)
        for edge in TraceTransfer.objects.filter(trace=trace).select_related("source", "target")
    )
    assert edges == Counter((t.source, t.to_account, t.amount, t.at) for t in expected.transfers)
    # An account met only by transfers the rules do not follow, all for one reason, is a node
    # that was never asked, with that reason.
    reasons: dict[str, set[Stop]] = {}
    for transfer, why in expected.stops:
        if transfer.to_account is not None and transfer.to_account not in expected.tiers:
            reasons.setdefault(transfer.to_account, set()).add(why)
    by_account = {node.account: node for node in nodes}
    checked: Counter[Stop] = Counter()
    for number, met_by in reasons.items():
        node = by_account[number]
        assert node.query_id is None
        if met_by == {Stop.TIER_LIMIT}:
            assert node.stop_reason == "tier_limit"
        elif met_by == {Stop.UNROUTABLE}:
            assert (node.bank_id, node.unroutable_reason) == (None, "no_bank_for_bin")
        checked.update(met_by)
    assert checked[Stop.TIER_LIMIT] and checked[Stop.UNROUTABLE]
    assert expected.stopped(Stop.CASH_OUT)  # the ledger's cash-outs are edges without a target
    assert TraceTransfer.objects.filter(trace=trace, target__isnull=True).count() == len(
        expected.stopped(Stop.CASH_OUT)
    )


def holding(number: str) -> bool:
    account = ledger().account(number)
    return account is not None and account.balance > 0


def test_trace_through_three_banks_finds_what_the_ledger_says_and_stops_the_money(
    world, platforms, banks, celery_worker, live_server
):
    order = traceable_order("paylink")
    lookup = looked_up(world, platforms, order)
    banks.start_all()
    officer = api(world.officer_a, live_server)
    trace_id = trace_started(officer, world.case_a.pk, from_query=str(lookup.pk), stop_payments=True)
    document = trace_finished(officer, trace_id)

    expected = expected_for(order)
    assert_trace_is_the_ledgers(trace_id, expected)
    assert document["tiers_done"] == TRACE_TIERS
    assert document["queries_outstanding"] == 0
    assert {node["bank"] for node in document["nodes"] if node["asked"]} == set(BANK_MODES)
    # A stop-payment for every asked account that still held money, and for no other.
    stops = {node["account"]: node["stop"] for node in document["nodes"] if node["stop"]}
    assert len(stops) == sum(1 for number in expected.tiers if holding(number))
    # Each found by the transfer that brought its money, so each matches the bank's records.
    outcomes = Counter(stop["outcome"] for stop in stops.values())
    assert outcomes == Counter({"stopped": len(stops)})
    holds = Hold.objects.filter(case=world.case_a, kind=HoldKind.STOP_PAYMENT, status=HoldStatus.ACTIVE)
    assert holds.count() == outcomes["stopped"]
    assert Decimal(document["amount_stopped"]) == sum(hold.amount for hold in holds)
    for hold in holds:
        assert hold.expires_at - hold.started_at == timedelta(hours=48)
    # Every query of the trace answered, once.
    trace_queries = list(Query.objects.filter(trace_id=trace_id))
    assert {query.status for query in trace_queries} == {QueryStatus.ANSWERED}
    assert_answered_once(trace_queries)


def assert_answered_once(trace_queries: list[Query]) -> None:
    answered = Counter(
        AuditEvent.objects.filter(
            action=ExchangeAction.QUERY_ANSWERED, target_id__in=[str(query.pk) for query in trace_queries]
        ).values_list("target_id", flat=True)
    )
    assert answered == Counter({str(query.pk): 1 for query in trace_queries})


def tier_one_account(*, at_bank: str, balance_over: Decimal) -> tuple[Any, LedgerAccount]:
    """A PayLink order paying into an account of `at_bank` that holds more than `balance_over`."""
    for index in range(2000):
        order = dataset("paylink").order(index)
        account = ledger().account(order.payee.number)
        if bank_partner_of(order.payee.number) == at_bank and account and account.balance > balance_over:
            return order, account
    raise AssertionError(f"no order pays into an account of {at_bank} holding money")


def stop_payment(world: Any, order: Any, **changes: Any) -> queries.Submission:
    values = {
        "account_number": order.payee.number,
        "holder_name": order.payee.holder_name,
        "amount": str(order.amount),
        "transaction_at": order.paid_at.isoformat(),
        **changes,
    }
    return queries.Submission(case_id=world.case_a.pk, kind="stop_payment", partner=PULL_BANK, input=values)


def test_stop_payments_over_http_matched_a_mismatch_and_a_third_refused_before_it_leaves(
    world, platforms, banks, live_server
):
    simulator = banks.start(PULL_BANK)
    order, account = tier_one_account(at_bank=PULL_BANK, balance_over=Decimal("0"))

    matched = settled(queries.query_submit(actor=world.officer_a, submission=stop_payment(world, order)))
    answer = matched.answer_document()
    assert matched.status == QueryStatus.ANSWERED and answer is not None
    assert answer["outcome"] == "stopped"
    assert Decimal(answer["amount_held"]) == min(account.balance, order.amount)
    hold = Hold.objects.get(query=matched)
    assert hold.status == HoldStatus.ACTIVE and hold.expires_at - hold.started_at == timedelta(hours=48)

    # Each of the four values the bank checks, wrong in turn: not stopped, and named (no value).
    unknown = next(
        number
        for number in (order.payee.number[:-4] + f"{tail:04d}" for tail in range(10_000))
        if ledger().account(number) is None and bank_partner_of(number) == PULL_BANK
    )
    wrong = {
        "holder_name": {"holder_name": order.payee.holder_name + "某"},
        "account_number": {"account_number": unknown},
        "amount": {"amount": str(order.amount + Decimal("1.00"))},
        "transaction_time": {"transaction_at": (order.paid_at + timedelta(hours=2)).isoformat()},
    }
    for field_name, changes in wrong.items():
        mismatch = settled(
            queries.query_submit(actor=world.officer_a, submission=stop_payment(world, order, **changes))
        )
        answer = mismatch.answer_document()
        assert answer is not None
        assert (answer["outcome"], answer["mismatched"]) == ("not_matched", [field_name])
        assert not Hold.objects.filter(query=mismatch).exists()  # a mismatch does not count

    # The matched stop's hold ends 48 hours after the bank's stop, recorded by the sweep.
    assert holds_sweep(now=hold.expires_at - timedelta(seconds=1)).expired == 0
    assert holds_sweep(now=hold.expires_at).expired == 1
    hold.refresh_from_db()
    assert (hold.status, hold.ended_at) == (HoldStatus.EXPIRED, hold.expires_at)

    # The second stop that counts is still with the bank when the third is asked: refused here.
    second, third = queries.query_submit_batch(
        actor=world.officer_a, submissions=[stop_payment(world, order), stop_payment(world, order)]
    )
    assert second.accepted and second.query is not None
    assert third.error is not None and third.error.code == "stop_limit_reached"
    refused = Query.objects.get(case=world.case_a, kind="stop_payment", reason="stop_limit_reached")
    assert refused.status == QueryStatus.REFUSED
    assert settled(second.query).status == QueryStatus.ANSWERED
    assert refused.delivery_attempts == 0 and not OutboxMessage.objects.filter(query=refused).exists()
    assert simulator.answered(str(refused.pk)) == 0
    assert simulator.answered(str(matched.pk)) == 1


def test_freeze_approved_by_a_second_person_then_frozen_over_http(world, platforms, banks, live_server):
    simulator = banks.start(PULL_BANK)
    _, account = tier_one_account(at_bank=PULL_BANK, balance_over=Decimal("100"))
    officer = api(world.officer_a, live_server)
    body = {
        "case": str(world.case_a.pk),
        "kind": "freeze",
        "partner": PULL_BANK,
        "input": {
            "account_number": account.number,
            "holder_name": account.holder_name,
            "amount": "100.00",
            "decision_reference": "CQ-FREEZE-2026-0001",
            "period_days": 180,
        },
    }
    submitted = officer.post("/api/v1/queries/", json=body)
    assert submitted.status_code == 202, submitted.text
    freeze_id = submitted.json()["id"]
    assert submitted.json()["status"] == "awaiting_approval"

    # The requester is no supervisor: no approval of theirs reaches the query.
    assert officer.post(f"/api/v1/queries/{freeze_id}/approve/").status_code == 404
    # Awaiting approval, it has not left: never offered to the bank polling its inbox.
    waiting = Query.objects.get(pk=freeze_id)
    assert (waiting.status, waiting.delivery_attempts) == (QueryStatus.AWAITING_APPROVAL, 0)
    assert simulator.answered(freeze_id) == 0

    supervisor = api(world.supervisor_a, live_server)
    own_freeze = supervisor.post("/api/v1/queries/", json=body).json()["id"]
    own = supervisor.post(f"/api/v1/queries/{own_freeze}/approve/")
    assert own.status_code == 403 and own.json()["error"]["code"] == "own_request"
    approved = supervisor.post(f"/api/v1/queries/{freeze_id}/approve/")
    assert approved.status_code == 200, approved.text
    frozen = settled(Query.objects.get(pk=freeze_id))
    answer = frozen.answer_document()
    assert frozen.status == QueryStatus.ANSWERED and answer is not None
    assert (answer["outcome"], Decimal(answer["amount_frozen"])) == ("frozen", Decimal("100.00"))
    hold = Hold.objects.get(query=frozen)
    assert (hold.kind, hold.status, hold.amount) == (HoldKind.FREEZE, HoldStatus.ACTIVE, Decimal("100.00"))
    assert hold.expires_at - hold.started_at == timedelta(days=180)
    assert simulator.answered(freeze_id) == 1

    # Renewed for another period, then released: each a decision a supervisor approves.
    reference = {"account_number": account.number, "decision_reference": "CQ-FREEZE-2026-0002"}
    renewal = officer.post(
        "/api/v1/queries/", json={**body, "kind": "freeze_renew", "input": {**reference, "period_days": 30}}
    ).json()["id"]
    assert supervisor.post(f"/api/v1/queries/{renewal}/approve/").status_code == 200
    renewed = settled(Query.objects.get(pk=renewal)).answer_document()
    assert renewed is not None and renewed["outcome"] == "renewed"
    hold.refresh_from_db()
    assert hold.expires_at - hold.started_at == timedelta(days=210)
    release = officer.post("/api/v1/queries/", json={**body, "kind": "freeze_release", "input": reference})
    assert supervisor.post(f"/api/v1/queries/{release.json()['id']}/approve/").status_code == 200
    released = settled(Query.objects.get(pk=release.json()["id"])).answer_document()
    assert released is not None and released["outcome"] == "released"
    hold.refresh_from_db()
    assert hold.status == HoldStatus.RELEASED and hold.ended_at is not None


def test_a_freeze_replaces_the_stops_and_freezes_what_is_left_over_http(world, platforms, banks, live_server):
    banks.start(PULL_BANK)
    order, account = tier_one_account(at_bank=PULL_BANK, balance_over=Decimal("0"))
    stop = settled(queries.query_submit(actor=world.officer_a, submission=stop_payment(world, order)))
    stop_hold = Hold.objects.get(query=stop)
    asked = account.balance + Decimal("1000.00")  # more than the account holds
    freeze = queries.query_submit(
        actor=world.officer_a,
        submission=queries.Submission(
            case_id=world.case_a.pk,
            kind="freeze",
            partner=PULL_BANK,
            input={
                "account_number": account.number,
                "holder_name": account.holder_name,
                "amount": str(asked),
                "decision_reference": "CQ-FREEZE-2026-0003",
                "period_days": 90,
            },
        ),
    )
    approvals.query_approve(actor=world.supervisor_a, query_id=freeze.pk)
    answer = settled(freeze).answer_document()
    assert answer is not None and answer["outcome"] == "partially_frozen"
    assert Decimal(answer["amount_frozen"]) < asked
    frozen = Hold.objects.get(query=freeze)
    assert frozen.partial and frozen.expires_at - frozen.started_at == timedelta(days=90)
    stop_hold.refresh_from_db()
    assert stop_hold.status == HoldStatus.REPLACED


def test_pull_bank_killed_mid_trace_loses_nothing(world, platforms, banks, celery_worker, live_server):
    order = traceable_order("paylink")
    lookup = looked_up(world, platforms, order)
    for code in BANK_MODES:
        # The pull bank answers slowly, so that it is killed with queries of the trace in hand.
        banks.start(code, *(("--latency-ms", "1500") if code == PULL_BANK else ()))
    officer = api(world.officer_a, live_server)
    trace_id = trace_started(officer, world.case_a.pk, from_query=str(lookup.pk), stop_payments=True)
    at_bank = Query.objects.filter(trace_id=trace_id, partner__code=PULL_BANK)
    wait_for(
        lambda: (
            at_bank.filter(status=QueryStatus.ANSWERED).count() >= 3
            and at_bank.filter(status=QueryStatus.DISPATCHED).count() >= 2
        ),
        timeout=60,
        interval=0.05,
    )
    banks.running[PULL_BANK].process.kill(timeout=10)  # SIGKILL, with leased queries unanswered
    # An answer the bank had already put on the wire may still land: let it, then the queries
    # still in hand are the ones only a new delivery can answer.
    time.sleep(2)
    in_hand = {str(query.pk) for query in at_bank.filter(status=QueryStatus.DISPATCHED)}
    assert in_hand
    banks.start(PULL_BANK)

    trace_finished(officer, trace_id, timeout=180)
    assert_trace_is_the_ledgers(trace_id, expected_for(order))
    trace_queries = list(Query.objects.filter(trace_id=trace_id))
    assert {query.status for query in trace_queries} == {QueryStatus.ANSWERED}
    assert_answered_once(trace_queries)
    # What the killed bank held was offered again once its lease ran out, and answered then.
    assert Query.objects.filter(pk__in=in_hand, delivery_attempts__gte=2).count() == len(in_hand)
