"""The README's demo command, run as a newcomer would, on a fresh SQLite file: it seeds,
starts the gateway, a worker and the simulated platforms, and walks a lookup through each."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_seeds_starts_everything_and_answers_a_lookup_per_platform(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    run = [sys.executable, "manage.py", "demo", "--no-serve"]
    first = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=True)
    assert "cq.officer" in first.stdout
    assert "afx-demo-password" in first.stdout
    answered = re.findall(r"at (paylink|swiftpay) \((push|pull)\): answered in (\d+) ms", first.stdout)
    assert [(partner, mode) for partner, mode, _ in answered] == [("paylink", "push"), ("swiftpay", "pull")]
    assert all(int(ms) < 5000 for _, _, ms in answered)
    assert re.search(r"6\d{3} \*{4} \*{4} \d{4}", first.stdout)  # the account, masked
    assert "http://127.0.0.1:8000/api/v1/docs/" in first.stdout
    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=True)
    assert "already seeded" in again.stdout
    assert "answered in" in again.stdout
