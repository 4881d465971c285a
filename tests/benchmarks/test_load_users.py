"""A smoke test of the load test's users and its round-trip cut, with no gateway and no timing.

Locust patches the standard library for gevent when it is imported, which must not happen
inside the test suite's own process: the checks run in a child interpreter.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

CHILD = """
import load_users
from bench_load import mix
from load_stack import PUSH_STAGES, PULL_STAGES, _cut
from locust.env import Environment

load_users.configure(
    hosts=["http://127.0.0.1:1", "http://127.0.0.1:2"],
    tokens={"officer": "t", "auditor": "a"},
    orders={"paylink": ["PL1"], "swiftpay": ["SP1"]},
    adapters={"bank-east": {"AFX_KEY_ID": "k", "AFX_PRIVATE_KEY": "A" * 43}},
)
env = Environment(user_classes=mix(slow_users=2))
users = {cls.__name__: cls(env) for cls in env.user_classes}
expected = {"Officer", "BatchOfficer", "Tracer", "Auditor", "Bare", "WatchlistAdapter", "SlowPartnerOfficer"}
assert expected <= set(users), set(users)
assert {users["Officer"].host, users["BatchOfficer"].host} == {"http://127.0.0.1:1", "http://127.0.0.1:2"}
assert users["Auditor"].headers == {"Authorization": "Token a"}

marks = {"posted": 0.0, "created": 0.010, "outbox_created": 0.012, "relayed": 0.020,
         "dispatched": 0.030, "delivered": 0.040, "answered": 0.050, "seen_at_gateway": 0.060,
         "seen": 0.070}
cut = _cut([marks, {key: value * 2 for key, value in marks.items()}], PUSH_STAGES)
total = sum(cut[name]["mean"] for name, _, _ in PUSH_STAGES)
assert abs(total - cut["round_trip"]["mean"]) < 0.5, cut
assert cut["n"] == 2 and cut["round_trip"]["mean"] == 105.0
assert _cut([], PULL_STAGES) == {"n": 0}
print("ok")
"""


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed")
def test_users_build_and_stages_add_up() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
