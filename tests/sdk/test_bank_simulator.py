"""The simulated bank: each kind's outcomes from the ledger, instructions verified before anything
is held, holds kept in memory; and the bank as a process answering a signed push."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from afx_sdk import AnswerStatus, Query, signing
from afx_sdk.instructions import sign
from simulator.bank import SimulatedBank, UnitKeyring
from simulator.dataset import dataset
from simulator.ledger import LedgerAccount, ledger
from simulator.tables import bank_partner_of
from tests.sdk.conftest import GATEWAY_KEY, GATEWAY_KEY_ID, GATEWAY_PUBLIC_KEY, KEY_ID, PRIVATE_KEY
from tests.sdk.contract_gateway import ContractGateway
from tests.sdk.test_instructions import OTHER_UNIT_KEY, UNIT_KEY, UNIT_KEYS

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR = (sys.executable, "-m", "simulator", "--orders", "1000")  # = ORDERS: a quick statement scan
LEDGER = ledger()
ORDERS = 1_000
NOW = datetime(2025, 9, 1, 4, 0, tzinfo=UTC)
BANK = "bank-east"


def held_by(partner: str, *, layer: int, funded: bool) -> LedgerAccount:
    """The first account of `layer` the bank holds, emptied, or with more left on it than its
    first credit brought (so one stop does not take it all)."""
    return next(
        account
        for account in LEDGER.layer(layer)
        if bank_partner_of(account.number) == partner
        and account.credits
        and (account.balance > account.credits[0].amount if funded else account.balance == 0)
    )


FUNDED = held_by(BANK, layer=3, funded=True)
EMPTIED = held_by(BANK, layer=3, funded=False)
CREDIT = FUNDED.credits[0]


def make_bank(partner: str = BANK, keys=UNIT_KEYS) -> SimulatedBank:
    return SimulatedBank(partner, LEDGER, UnitKeyring(lambda: keys), orders=ORDERS, clock=lambda: NOW)


def message(kind: str, data: dict, *, case: str = "case-1", partner: str = BANK) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "partner": partner,
        "case_reference": case,
        "input": data,
        "deadline": (NOW + timedelta(seconds=60)).isoformat(),
        "created_at": NOW.isoformat(),
    }


def instructed(kind: str, data: dict, *, key=UNIT_KEY, unit: str = "unit-a", **options) -> Query:
    body = message(kind, data, **options)
    return Query.from_json({**body, "instruction": sign(body, unit, key)})


def stop_input(account: LedgerAccount = FUNDED, **changes) -> dict:
    data = {
        "account_number": account.number,
        "holder_name": account.holder_name,
        "amount": str(CREDIT.amount if account is FUNDED else account.credits[0].amount),
        "transaction_at": (CREDIT.at if account is FUNDED else account.credits[0].at).isoformat(),
    }
    return {**data, **changes}


def result(bank: SimulatedBank, query: Query) -> dict:
    answer = bank.handle(query)
    assert answer.status is AnswerStatus.ANSWERED and answer.result is not None, answer
    return answer.result.to_json()


def test_account_transfers_answers_the_holder_balance_and_transfers_in_the_window():
    bank = make_bank()
    asked = {"account_number": FUNDED.number, "window_start": None, "window_end": None}
    answer = result(bank, Query.from_json(message("account_transfers", asked)))
    assert answer["holder_name"] == FUNDED.holder_name
    assert answer["holder_id_number"] == FUNDED.holder_id_number
    assert Decimal(answer["balance"]) == FUNDED.balance
    assert answer["transfers"] == [transfer.to_sdk().to_json() for transfer in FUNDED.transfers]
    later = {**asked, "window_start": (FUNDED.transfers[-1].at + timedelta(seconds=1)).isoformat()}
    assert result(bank, Query.from_json(message("account_transfers", later)))["transfers"] == []


def test_account_transfers_of_an_account_the_bank_does_not_hold_is_not_found():
    other = held_by("bank-river", layer=2, funded=True)
    for number in (other.number, "6222020000000001"):
        data = {"account_number": number}
        assert (
            make_bank().handle(Query.from_json(message("account_transfers", data))).status
            is AnswerStatus.NOT_FOUND
        )


def test_a_matching_stop_payment_is_stopped_for_what_is_left():
    bank = make_bank()
    answer = result(bank, instructed("stop_payment", stop_input()))
    assert answer["outcome"] == "stopped"
    assert Decimal(answer["amount_held"]) == min(FUNDED.balance, CREDIT.amount)
    assert answer["stopped_at"] == NOW.isoformat()


def test_the_time_matches_within_a_minute():
    bank = make_bank()
    close = stop_input(transaction_at=(CREDIT.at + timedelta(seconds=60)).isoformat())
    assert result(bank, instructed("stop_payment", close))["outcome"] == "stopped"
    late = stop_input(transaction_at=(CREDIT.at + timedelta(seconds=61)).isoformat())
    assert result(bank, instructed("stop_payment", late))["mismatched"] == ["transaction_time"]


@pytest.mark.parametrize(
    ("changes", "mismatched"),
    [
        ({"holder_name": "某某某"}, ["holder_name"]),
        ({"account_number": "6222020000000001"}, ["account_number"]),  # of its BIN, not its account
        ({"amount": str(CREDIT.amount + Decimal("0.01"))}, ["amount"]),
        ({"transaction_at": (CREDIT.at - timedelta(days=3)).isoformat()}, ["transaction_time"]),
        (
            {"amount": "0.01", "transaction_at": (CREDIT.at - timedelta(days=3)).isoformat()},
            ["amount", "transaction_time"],
        ),
    ],
)
def test_each_mismatch_is_named_and_nothing_is_held(changes, mismatched):
    bank = make_bank()
    answer = result(bank, instructed("stop_payment", stop_input(**changes)))
    assert answer["outcome"] == "not_matched"
    assert answer["mismatched"] == mismatched
    assert answer["amount_held"] is None
    assert result(bank, instructed("stop_payment", stop_input()))["outcome"] == "stopped"  # nothing held


def test_an_emptied_account_is_refused_no_funds_and_so_is_a_stop_once_all_is_held():
    bank = make_bank()
    assert result(bank, instructed("stop_payment", stop_input(EMPTIED)))["refusal_reason"] == "no_funds"
    first = result(bank, instructed("stop_payment", stop_input()))
    second = result(bank, instructed("stop_payment", stop_input(), case="case-2"))
    assert Decimal(first["amount_held"]) == CREDIT.amount
    assert Decimal(second["amount_held"]) == min(CREDIT.amount, FUNDED.balance - CREDIT.amount)
    held = CREDIT.amount + Decimal(second["amount_held"])
    while held < FUNDED.balance:  # every stop holds what is left, up to its amount
        held += Decimal(result(bank, instructed("stop_payment", stop_input(), case="case-3"))["amount_held"])
    assert held == FUNDED.balance
    assert result(bank, instructed("stop_payment", stop_input(), case="case-4")) == {
        "outcome": "refused",
        "amount_held": None,
        "stopped_at": None,
        "mismatched": [],
        "refusal_reason": "no_funds",
    }


LEDGER_BALANCES = {account.number: account.balance for account in LEDGER.layer(1)}


def test_a_tier_one_stop_is_checked_against_the_platform_orders_paying_into_it():
    paylink = dataset("paylink", orders=ORDERS)
    order = next(
        order
        for order in map(paylink.order, range(ORDERS))
        if bank_partner_of(order.payee.number) == BANK and LEDGER_BALANCES[order.payee.number] > 0
    )
    data = {
        "account_number": order.payee.number,
        "holder_name": order.payee.holder_name,
        "amount": str(order.amount),
        "transaction_at": order.paid_at.isoformat(),
    }
    bank = make_bank()
    assert result(bank, instructed("stop_payment", data))["outcome"] == "stopped"
    wrong = {**data, "amount": str(order.amount + 1)}
    assert result(bank, instructed("stop_payment", wrong))["mismatched"] == ["amount"]


@pytest.mark.parametrize("kind", ["stop_payment", "freeze", "freeze_renew", "freeze_release"])
def test_an_instruction_that_does_not_verify_is_refused_and_not_executed(kind):
    data = {
        "stop_payment": stop_input(),
        "freeze": {**stop_input(), "decision_reference": "D-1", "period_days": 30},
        "freeze_renew": {"account_number": FUNDED.number, "decision_reference": "D-2", "period_days": 30},
        "freeze_release": {"account_number": FUNDED.number, "decision_reference": "D-3"},
    }[kind]
    data = {key: value for key, value in data.items() if key != "transaction_at" or kind == "stop_payment"}
    bank = make_bank()
    tampered = instructed(kind, data)
    tampered = Query.from_json({**tampered.to_json(), "case_reference": "case-9"})
    impostor = instructed(kind, data, key=OTHER_UNIT_KEY)  # unit-b's key, claimed as unit-a's
    unsigned = Query.from_json(message(kind, data))
    for query in (tampered, impostor, unsigned):
        answer = result(bank, query)
        assert answer["outcome"] == "refused" and answer["refusal_reason"] == "signature_invalid"
    if kind == "stop_payment":
        held = result(bank, instructed(kind, data))["amount_held"]
        assert Decimal(held) == min(FUNDED.balance, CREDIT.amount)  # the refused ones held nothing


def test_a_new_unit_key_is_fetched_when_an_instruction_names_it():
    fetched = []

    def fetch():
        fetched.append(1)
        return UNIT_KEYS if len(fetched) > 1 else {}

    bank = SimulatedBank(BANK, LEDGER, UnitKeyring(fetch), orders=ORDERS, clock=lambda: NOW)
    assert result(bank, instructed("stop_payment", stop_input()))["outcome"] == "stopped"
    assert len(fetched) == 2  # the first fetch lacked the key; its id made the bank fetch again
    result(bank, instructed("stop_payment", stop_input(), case="case-2"))
    assert len(fetched) == 2  # a known key makes no fetch


def freeze_input(amount: Decimal, account: LedgerAccount = FUNDED) -> dict:
    return {
        "account_number": account.number,
        "holder_name": account.holder_name,
        "amount": str(amount),
        "decision_reference": "公冻-2025-17",
        "period_days": 180,
    }


def test_freeze_in_full_partially_or_refused():
    bank = make_bank()
    full = result(bank, instructed("freeze", freeze_input(Decimal("0.01"))))
    assert full == {
        "outcome": "frozen",
        "amount_frozen": "0.01",
        "frozen_at": NOW.isoformat(),
        "refusal_reason": None,
    }
    again = result(bank, instructed("freeze", freeze_input(Decimal("0.01"))))
    assert again["refusal_reason"] == "already_held"
    partial = result(bank, instructed("freeze", freeze_input(FUNDED.balance * 2), case="case-2"))
    assert partial["outcome"] == "partially_frozen"
    assert Decimal(partial["amount_frozen"]) == FUNDED.balance - Decimal("0.01")
    empty = result(bank, instructed("freeze", freeze_input(Decimal(1)), case="case-3"))
    assert empty["refusal_reason"] == "no_funds"
    assert (
        result(bank, instructed("freeze", freeze_input(Decimal(1), EMPTIED)))["refusal_reason"] == "no_funds"
    )


def test_a_freeze_takes_over_the_money_its_case_stopped_but_not_another_cases():
    bank = make_bank()
    held = Decimal(result(bank, instructed("stop_payment", stop_input()))["amount_held"])
    other_case = result(bank, instructed("freeze", freeze_input(FUNDED.balance), case="case-2"))
    assert other_case["outcome"] == "partially_frozen"
    assert Decimal(other_case["amount_frozen"]) == FUNDED.balance - held  # case-1's stop is not case-2's
    bank = make_bank()
    result(bank, instructed("stop_payment", stop_input()))
    frozen = result(bank, instructed("freeze", freeze_input(FUNDED.balance)))
    assert frozen["outcome"] == "frozen" and Decimal(frozen["amount_frozen"]) == FUNDED.balance
    after = result(bank, instructed("stop_payment", stop_input(), case="case-2"))
    assert after["refusal_reason"] == "no_funds"


def test_renew_and_release_a_freeze_the_bank_holds():
    bank = make_bank()
    renew = {"account_number": FUNDED.number, "decision_reference": "续冻-1", "period_days": 90}
    release = {"account_number": FUNDED.number, "decision_reference": "解冻-1"}
    assert result(bank, instructed("freeze_renew", renew))["refusal_reason"] == "no_active_freeze"
    assert result(bank, instructed("freeze_release", release))["refusal_reason"] == "no_active_freeze"
    result(bank, instructed("freeze", freeze_input(FUNDED.balance)))
    assert (
        result(bank, instructed("freeze_renew", renew, case="case-2"))["refusal_reason"] == "no_active_freeze"
    )
    assert result(bank, instructed("freeze_renew", renew)) == {
        "outcome": "renewed",
        "renewed_at": NOW.isoformat(),
        "refusal_reason": None,
    }
    assert result(bank, instructed("freeze_release", release))["outcome"] == "released"
    assert result(bank, instructed("freeze_release", release))["refusal_reason"] == "no_active_freeze"
    assert (
        result(bank, instructed("freeze", freeze_input(FUNDED.balance)))["outcome"] == "frozen"
    )  # free again


def unit_published() -> list[dict[str, str]]:
    """What the gateway's `/signing-keys/` lists: its push key and unit-a's key."""
    return [
        {"key_id": GATEWAY_KEY_ID, "algorithm": "ed25519", "public_key": GATEWAY_PUBLIC_KEY, "use": "push"},
        {
            "key_id": signing.key_fingerprint(UNIT_KEY.public_key()),
            "algorithm": "ed25519",
            "public_key": signing.public_key_text(UNIT_KEY),
            "use": "unit",
            "unit": "unit-a",
        },
    ]


READY = re.compile(r"^simulator bank-coast push: listening on (?P<url>\S+)$")


def test_the_bank_as_a_process_answers_a_signed_push():
    coast = held_by("bank-coast", layer=3, funded=True)
    gateway = ContractGateway(key_id=KEY_ID, public_key=PRIVATE_KEY.public_key(), published=unit_published())
    gateway.start()
    process = subprocess.Popen(
        [*SIMULATOR, "--partner", "bank-coast", "--mode", "push", "--port", "0", "--gateway", gateway.url],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if not key.startswith("AFX_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process, lines), daemon=True).start()
    try:
        ready = READY.match(lines.get(timeout=30))
        assert ready
        body = message(
            "stop_payment",
            stop_input(
                coast, amount=str(coast.credits[0].amount), transaction_at=coast.credits[0].at.isoformat()
            ),
            partner="bank-coast",
        )
        signed_body = {**body, "instruction": sign(body, "unit-a", UNIT_KEY)}
        forged = {**signed_body, "id": str(uuid.uuid4()), "input": {**signed_body["input"], "amount": "0.01"}}
        answers = [deliver(ready["url"], item) for item in (signed_body, forged)]
        assert answers[0]["status"] == "answered" and answers[0]["result"]["outcome"] == "stopped"
        assert answers[1]["result"]["refusal_reason"] == "signature_invalid"
        assert lines.get(timeout=10) == f"{body['id']} answered"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        gateway.stop()
    assert process.returncode == 0, stderr
    assert coast.number not in stderr and coast.holder_name not in stderr


def test_the_bank_in_pull_mode_verifies_the_instruction_it_polled():
    gateway = ContractGateway(
        key_id=KEY_ID, public_key=PRIVATE_KEY.public_key(), published=unit_published(), partner=BANK
    ).start()
    body = message("stop_payment", stop_input())
    gateway.enqueue({**body, "instruction": sign(body, "unit-a", UNIT_KEY)})
    env = {key: value for key, value in os.environ.items() if not key.startswith("AFX_")}
    env |= {"AFX_KEY_ID": KEY_ID, "AFX_PRIVATE_KEY": signing.private_key_text(PRIVATE_KEY)}
    process = subprocess.Popen(
        [*SIMULATOR, "--partner", BANK, "--mode", "pull", "--wait", "1", "--gateway", gateway.url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answer = gateway.wait_for_answers(body["id"])[body["id"]]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
        gateway.stop()
    assert answer["result"]["outcome"] == "stopped"
    assert process.returncode == 0


def read_lines(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line.rstrip("\n"))


def deliver(url: str, query: dict) -> dict:
    body = json.dumps(query).encode()
    headers = signing.signed_headers(
        key_id=GATEWAY_KEY_ID,
        private_key=GATEWAY_KEY,
        method="POST",
        url=url,
        body=body,
        tag=signing.PUSH_TAG,
    )
    response = httpx.post(url, content=body, headers=headers, timeout=20)
    assert response.status_code == 200, response.text
    return response.json()
