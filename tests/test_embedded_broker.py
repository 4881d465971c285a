"""The embedded default's broker under a burst: a real worker on the file-system broker takes
hundreds of messages published as fast as possible, and survives (celery/kombu#1551)."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BURST = 400

PUBLISH = f"""
import django
django.setup()
from partners.tasks import purge_expired_tokens
for _ in range({BURST}):
    purge_expired_tokens.delay()
"""


def test_worker_survives_a_burst_on_the_file_system_broker(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
    }
    # A broker folder of this test's own, so nothing else consumes or leaves messages there.
    env["AFX_VAR_DIR"] = str(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "threads",
            "-c",
            "4",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        subprocess.run([sys.executable, "-c", PUBLISH], cwd=ROOT, env=env, check=True, timeout=120)
        deadline = time.monotonic() + 90
        while log.read_text().count("succeeded in") < BURST and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
        assert log.read_text().count("succeeded in") == BURST
        assert "Unrecoverable error" not in log.read_text()
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)
