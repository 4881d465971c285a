"""The README's demo command, run as a newcomer would, on a fresh SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_sets_up_seeds_and_prints_the_sign_ins(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    run = [sys.executable, "manage.py", "demo", "--no-serve"]
    first = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert "cq.officer" in first.stdout
    assert "afx-demo-password" in first.stdout
    assert first.stdout.count("afx_") == 6
    assert "http://127.0.0.1:8000/api/v1/docs/" in first.stdout
    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert "already seeded" in again.stdout
