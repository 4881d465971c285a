"""The embedded default's `var/` is owner-only: what its settings, SQLite and the key loaders
create there (database and its WAL files, master key, audit key, broker folders) has no
group or other permission bits, and a `var/` left readable by an older version is tightened."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CREATE_EVERYTHING = """
import json, os
import django
django.setup()
from django.db import connection
from audit.signing import signing_key
from privacy.providers import load_provider

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (x integer)")  # a write: WAL files appear
load_provider().key_id  # the master key, made on first need
signing_key()  # the audit signing key, made on first need
var = os.environ["AFX_VAR_DIR"]
modes = {}
for folder, names, files in os.walk(var):
    for name in [*names, *files]:
        path = os.path.join(folder, name)
        modes[os.path.relpath(path, var)] = os.stat(path).st_mode
print(json.dumps(modes))
"""


def test_var_is_created_readable_by_its_owner_only(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)  # as an older version left it
    var.chmod(0o755)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AFX_", "DATABASE_URL", "CELERY_BROKER_URL"))
    }
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.local", "AFX_VAR_DIR": str(var)}
    printed = subprocess.run(
        [sys.executable, "-c", CREATE_EVERYTHING],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    modes = json.loads(printed.splitlines()[-1])
    expected = {
        "afx.sqlite3",
        "afx.sqlite3-wal",
        "master.key",
        "audit-signing.pem",
        "broker",
        "broker/queue",
        "broker/processed",
        "broker/control",
    }
    assert expected <= set(modes)
    widened = {path: oct(mode) for path, mode in modes.items() if mode & (stat.S_IRWXG | stat.S_IRWXO)}
    assert widened == {}
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
