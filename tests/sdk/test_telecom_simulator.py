"""The simulated telecom: protected numbers refused, numbers blocked already answered with their
block's end, others blocked for the period asked; the same answers for the same seed and clock;
the SDK's number_block types strict; and the telecom as a process, push and pull."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afx_sdk import AnswerStatus, MalformedMessage, Query, signing
from afx_sdk.kinds import (
    NUMBER_BLOCK,
    BlockOutcome,
    BlockReason,
    NumberBlock,
    NumberBlockResult,
    TelecomRefusal,
)
from simulator.cli import parse_args
from simulator.tables import PROTECTED_NUMBERS, TELECOM_PARTNERS
from simulator.telecom import PRESET_BLOCKS, SimulatedTelecom, number_key, preset_blocks
from tests.sdk.conftest import GATEWAY_PUBLIC_KEY, KEY_ID, PRIVATE_KEY
from tests.sdk.contract_gateway import ContractGateway
from tests.sdk.test_bank_simulator import deliver, read_lines

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 9, 1, 4, 0, tzinfo=UTC)
TELECOM = "tel-east"
NUMBER = "+86 138 1234 5678"
READY = re.compile(r"^simulator tel-east push: listening on (?P<url>\S+)$")


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_telecom(clock: Clock | None = None, seed: int = 7) -> SimulatedTelecom:
    return SimulatedTelecom(TELECOM, seed=seed, clock=clock or Clock())


def message(data: dict, *, kind: str = NUMBER_BLOCK) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "partner": TELECOM,
        "case_reference": "case-1",
        "input": data,
        "deadline": (NOW + timedelta(seconds=120)).isoformat(),
        "created_at": NOW.isoformat(),
    }


def block_input(number: str = NUMBER, **changes) -> dict:
    return {"phone_number": number, "reason": "fraud_call", "period_days": 30, **changes}


def ask(telecom: SimulatedTelecom, number: str = NUMBER, **changes) -> dict:
    answer = telecom.handle(Query.from_json(message(block_input(number, **changes))))
    assert answer.status is AnswerStatus.ANSWERED
    return answer.to_json()["result"]


def test_a_number_is_blocked_for_the_period_asked_then_answers_already_blocked():
    telecom = make_telecom()
    first = ask(telecom)
    assert first == {
        "phone_number": NUMBER,
        "outcome": "blocked",
        "until": (NOW + timedelta(days=30)).isoformat(),
        "refusal_reason": None,
    }
    # The same number written another way is the same number; its block is not extended.
    again = ask(telecom, "13812345678", period_days=365)
    assert again == {**first, "phone_number": "13812345678", "outcome": "already_blocked"}
    assert telecom.blocked_until("138-1234-5678") == NOW + timedelta(days=30)


def test_the_period_defaults_to_180_days():
    data = block_input()
    del data["period_days"]
    assert NumberBlock.from_json(data).period_days == 180
    answer = make_telecom().handle(Query.from_json(message(data))).to_json()["result"]
    assert answer["until"] == (NOW + timedelta(days=180)).isoformat()


def test_a_lapsed_block_is_blocked_again():
    clock = Clock()
    telecom = make_telecom(clock)
    ask(telecom, period_days=1)
    clock.now = NOW + timedelta(days=1, seconds=1)
    assert telecom.blocked_until(NUMBER) is None
    assert ask(telecom, period_days=2)["until"] == (clock.now + timedelta(days=2)).isoformat()


@pytest.mark.parametrize("number", sorted(PROTECTED_NUMBERS))
def test_protected_numbers_are_refused_and_never_blocked(number):
    telecom = make_telecom()
    assert ask(telecom, number) == {
        "phone_number": number,
        "outcome": "refused",
        "until": None,
        "refusal_reason": "protected_number",
    }
    assert telecom.blocked_until(number) is None


def test_the_seed_chooses_the_numbers_blocked_already_with_their_ends():
    telecom = make_telecom(seed=7)
    preset = telecom.preset()
    assert len(preset) == PRESET_BLOCKS
    assert preset == preset_blocks(NOW, 7) == make_telecom(seed=7).preset()
    assert preset != make_telecom(seed=8).preset()
    assert all(NOW + timedelta(days=1) <= until <= NOW + timedelta(days=181) for until in preset.values())
    number, until = next(iter(preset.items()))
    assert ask(telecom, f"+86 {number}")["outcome"] == "already_blocked"
    assert ask(telecom, number)["until"] == until.isoformat()


def test_the_same_seed_and_clock_give_the_same_answers():
    numbers = [NUMBER, "110", *list(preset_blocks(NOW, 7))[:3], "13900001111", NUMBER]

    def answers() -> list[dict]:
        telecom = make_telecom(seed=7)
        return [ask(telecom, number) for number in numbers]

    first = answers()
    assert first == answers()
    assert [a["outcome"] for a in first] == [
        "blocked",
        "refused",
        "already_blocked",
        "already_blocked",
        "already_blocked",
        "blocked",
        "already_blocked",
    ]


def test_numbers_are_compared_as_digits():
    assert number_key("+86 138 1234 5678") == number_key("0086-13812345678") == "13812345678"
    full_width = "".join(chr(ord(digit) - ord("0") + 0xFF10) for digit in "13812345678")
    assert number_key(full_width) == "13812345678"  # as typed on a Chinese keyboard
    assert number_key("110") == "110"


def test_another_kind_or_a_malformed_input_fails_and_blocks_nothing():
    telecom = make_telecom()
    other = telecom.handle(Query.from_json(message(block_input(), kind="order_lookup")))
    assert other.status is AnswerStatus.FAILED
    for bad in (block_input(reason="spam"), block_input(period_days=0), block_input(period_days="30")):
        answer = telecom.handle(Query.from_json(message(bad)))
        assert answer.status is AnswerStatus.FAILED and NUMBER not in answer.reason
    assert telecom.blocked_until(NUMBER) is None


def test_the_result_types_keep_themselves_consistent_and_hide_the_number():
    until = NOW + timedelta(days=1)
    assert NumberBlockResult.from_json(NumberBlockResult.blocked(NUMBER, until).to_json()).until == until
    refused = NumberBlockResult.refused(NUMBER, TelecomRefusal.PROTECTED_NUMBER)
    assert NumberBlockResult.from_json(refused.to_json()) == refused
    assert NUMBER not in repr(refused) and NUMBER not in repr(NumberBlock(NUMBER, BlockReason.FRAUD_SMS))
    with pytest.raises(MalformedMessage):
        NumberBlockResult(NUMBER, BlockOutcome.BLOCKED)  # no end
    with pytest.raises(MalformedMessage):
        NumberBlockResult(NUMBER, BlockOutcome.REFUSED, until=until, refusal_reason=TelecomRefusal.OTHER)
    with pytest.raises(MalformedMessage):
        NumberBlockResult(NUMBER, BlockOutcome.ALREADY_BLOCKED, until=until.replace(tzinfo=None))
    with pytest.raises(MalformedMessage):
        NumberBlockResult.from_json({**refused.to_json(), "refusal_reason": "the subscriber is 张三"})
    with pytest.raises(MalformedMessage):
        NumberBlock.from_json(block_input(period_days=366))


def test_an_unknown_telecom_is_refused_and_tel_east_is_a_partner_of_the_cli():
    with pytest.raises(ValueError, match="Unknown telecom"):
        SimulatedTelecom("bank-east")
    assert TELECOM in TELECOM_PARTNERS
    args = parse_args(["--partner", TELECOM, "--mode", "push", "--gateway-public-key", GATEWAY_PUBLIC_KEY])
    assert args.partner == TELECOM


def _env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("AFX_")}


def test_the_telecom_as_a_process_answers_a_signed_push():
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--partner", TELECOM, "--mode", "push", "--port", "0"],
        cwd=ROOT,
        env=_env() | {"AFX_GATEWAY_PUBLIC_KEY": GATEWAY_PUBLIC_KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process, lines), daemon=True).start()
    try:
        ready = READY.match(lines.get(timeout=30))
        assert ready
        first, second, protected = message(block_input()), message(block_input()), message(block_input("110"))
        answers = [deliver(ready["url"], item) for item in (first, second, protected)]
        assert [a["result"]["outcome"] for a in answers] == ["blocked", "already_blocked", "refused"]
        assert answers[0]["result"]["until"] == answers[1]["result"]["until"]
        assert lines.get(timeout=10) == f"{first['id']} answered"
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "13812345678" not in stderr + stdout and "1234 5678" not in stderr + stdout


PULL = (sys.executable, "-m", "simulator", "--partner", TELECOM, "--mode", "pull", "--wait", "1")


def test_the_telecom_in_pull_mode_answers_what_it_polled():
    gateway = ContractGateway(key_id=KEY_ID, public_key=PRIVATE_KEY.public_key(), partner=TELECOM).start()
    body = message(block_input(period_days=90))
    gateway.enqueue(body)
    env = _env() | {"AFX_KEY_ID": KEY_ID, "AFX_PRIVATE_KEY": signing.private_key_text(PRIVATE_KEY)}
    process = subprocess.Popen(
        [*PULL, "--gateway", gateway.url],
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
    assert answer["status"] == "answered"
    assert answer["result"]["outcome"] == "blocked" and answer["result"]["phone_number"] == NUMBER
    assert process.returncode == 0
