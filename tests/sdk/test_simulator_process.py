"""`python -m simulator` as a real process: it starts, serves over HTTP, and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from afx_sdk import signing
from simulator.dataset import Dataset, expected_answer
from tests.sdk.conftest import (
    GATEWAY_KEY,
    GATEWAY_KEY_ID,
    GATEWAY_PUBLIC_KEY,
    KEY_ID,
    ORDERS,
    PRIVATE_KEY,
    SEED,
    query_json,
)

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"^simulator paylink (push: listening on (?P<url>\S+)|pull: polling \S+)$")


class SimulatorProcess:
    """A child `python -m simulator`, its standard output read line by line as it comes."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulator",
                "--partner",
                "paylink",
                "--seed",
                str(SEED),
                "--orders",
                str(ORDERS),
                *args,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        ready = READY.match(self.next_line(timeout=20))
        assert ready, self.output
        self.url: str = ready["url"]  # the webhook, in push mode

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float = 10) -> str:
        return self.lines.get(timeout=timeout)

    def terminate(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and standard error once it has exited."""
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=5)
        return self.process.returncode, stderr


@pytest.fixture
def simulators() -> Iterator[list[SimulatorProcess]]:
    started: list[SimulatorProcess] = []
    yield started
    for simulator in started:
        if simulator.process.poll() is None:
            simulator.process.kill()
            simulator.process.wait()


def personal_data(order_numbers: list[str]) -> list[str]:
    dataset = Dataset("paylink", seed=SEED, orders=ORDERS)
    orders = [dataset.lookup(number) for number in order_numbers]
    return order_numbers + [
        value
        for order in orders
        if order is not None
        for value in (
            order.payee.number,
            order.payee.holder_name,
            order.payer.number,
            order.payer.holder_name,
        )
    ]


def deliver(url: str, query: dict) -> httpx.Response:
    body = json.dumps(query).encode()
    headers = signing.signed_headers(
        key_id=GATEWAY_KEY_ID,
        private_key=GATEWAY_KEY,
        method="POST",
        url=url,
        body=body,
        tag=signing.PUSH_TAG,
    )
    return httpx.post(url, content=body, headers=headers, timeout=10)


def test_push_mode_answers_over_http_and_stops_on_sigterm(simulators, order_numbers):
    simulator = SimulatorProcess(
        "--mode", "push", "--port", "0", env={"AFX_GATEWAY_PUBLIC_KEY": GATEWAY_PUBLIC_KEY}
    )
    simulators.append(simulator)
    url = simulator.url
    queries = [query_json(number) for number in order_numbers[:3]]
    for query in queries:
        response = deliver(url, query)
        assert response.status_code == 200
        number = query["input"]["order_number"]
        assert response.json() == expected_answer("paylink", number, SEED, orders=ORDERS).to_json()
        assert simulator.next_line() == f"{query['id']} answered"

    code, stderr = simulator.terminate()
    assert code == 0
    everything = "".join(simulator.output) + stderr
    for value in personal_data(order_numbers):
        assert value not in everything


def test_push_mode_downtime_answers_503_then_recovers(simulators, order_numbers):
    simulator = SimulatorProcess(
        "--mode",
        "push",
        "--port",
        "0",
        "--down-for",
        "1.5",
        "--gateway-public-key",
        GATEWAY_PUBLIC_KEY,
        env={},
    )
    simulators.append(simulator)
    query = query_json(order_numbers[0])
    down = deliver(simulator.url, query)
    assert down.status_code == 503
    assert int(down.headers["Retry-After"]) >= 1
    time.sleep(1.6)
    assert deliver(simulator.url, query).json()["status"] == "answered"
    assert simulator.terminate()[0] == 0


def test_push_mode_fetches_the_gateway_keys_when_none_is_given(simulators, contract_gateway, order_numbers):
    simulator = SimulatorProcess("--mode", "push", "--port", "0", "--gateway", contract_gateway.url, env={})
    simulators.append(simulator)
    assert deliver(simulator.url, query_json(order_numbers[0])).json()["status"] == "answered"
    assert simulator.terminate()[0] == 0


def test_push_mode_error_rate_makes_the_gateway_retry(simulators, order_numbers):
    simulator = SimulatorProcess(
        "--mode",
        "push",
        "--port",
        "0",
        "--error-rate",
        "1",
        env={"AFX_GATEWAY_PUBLIC_KEY": GATEWAY_PUBLIC_KEY},
    )
    simulators.append(simulator)
    response = deliver(simulator.url, query_json(order_numbers[0]))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "adapter_error"
    code, stderr = simulator.terminate()
    assert code == 0
    assert "SimulatedFault" in stderr
    assert simulator.output[1:] == []  # nothing answered, nothing printed


def test_pull_mode_answers_through_the_inbox_and_stops_on_sigterm(
    simulators, contract_gateway, order_numbers
):
    queries = [query_json(number) for number in order_numbers]
    contract_gateway.enqueue(*queries[:2])
    simulator = SimulatorProcess(
        "--mode",
        "pull",
        "--gateway",
        contract_gateway.url,
        "--wait",
        "25",
        env={"AFX_KEY_ID": KEY_ID, "AFX_PRIVATE_KEY": signing.private_key_text(PRIVATE_KEY)},
    )
    simulators.append(simulator)
    contract_gateway.enqueue(*queries[2:])
    answers = contract_gateway.wait_for_answers(*(query["id"] for query in queries))
    for query in queries:
        number = query["input"]["order_number"]
        assert answers[query["id"]] == expected_answer("paylink", number, SEED, orders=ORDERS).to_json()
    printed = {simulator.next_line() for _ in queries}
    assert printed == {f"{query['id']} answered" for query in queries}

    stopping = time.monotonic()
    code, stderr = simulator.terminate()  # while parked in a 25 s long poll
    assert code == 0
    assert time.monotonic() - stopping < 2
    everything = "".join(simulator.output) + stderr
    for value in personal_data(order_numbers):
        assert value not in everything


def test_pull_mode_downtime_stops_polling_for_the_window(simulators, contract_gateway, order_numbers):
    query = query_json(order_numbers[0])
    contract_gateway.enqueue(query)
    started = time.monotonic()
    simulator = SimulatorProcess(
        "--mode",
        "pull",
        "--gateway",
        contract_gateway.url,
        "--wait",
        "1",
        "--down-for",
        "1",
        env={"AFX_KEY_ID": KEY_ID, "AFX_PRIVATE_KEY": signing.private_key_text(PRIVATE_KEY)},
    )
    simulators.append(simulator)
    contract_gateway.wait_for_answers(query["id"])
    assert contract_gateway.inbox_times[0] - started >= 1.0
    assert simulator.terminate()[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "push", "--gateway", "http://127.0.0.1:9"], "AFX_GATEWAY_PUBLIC_KEY"),
        (["--mode", "push", "--gateway-public-key", "not-a-key"], "Not an Ed25519 public key"),
        (["--mode", "pull", "--key-id", "k"], "AFX_PRIVATE_KEY"),
        (["--mode", "pull", "--key-id", "k", "--private-key", "@/nonexistent/key"], "No such file"),
        (["--mode", "pull", "--key-id", "k", "--private-key", "c2hvcnQ"], "Not an Ed25519 private key"),
        (
            ["--mode", "push", "--gateway-public-key", GATEWAY_PUBLIC_KEY, "--error-rate", "2"],
            "between 0 and 1",
        ),
    ],
)
def test_bad_options_are_refused(args, message):
    env = {key: value for key, value in os.environ.items() if not key.startswith("AFX_")}
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "--partner", "paylink", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
