"""The backup and restore drill on PostgreSQL (`scripts/restore_drill`): a dump taken while
officers keep writing, restored into a fresh database with the same master key, decrypts
and finds every value, its audit log verifies, and its heads extend the heads published
before the dump; with another master key the copy is refused."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections

from audit.sequencer import sequence_events
from exchange.services import queries
from privacy import blind_index
from privacy.choices import KeyPurpose
from privacy.keyring import keyring
from tests.clients import signed_world_client

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "6222020200445566"
ANSWER = {"status": "answered", "result": {"bank": "Bank", "account_number": ACCOUNT, "holder_name": "赵六"}}


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _keep_writing(world: Any, stop: threading.Event, written: list[str]) -> None:
    """An officer submitting lookups while the dump runs: a running system."""
    try:
        while not stop.is_set():
            submission = queries.Submission(
                case_id=world.case_a.pk,
                kind="order_lookup",
                partner=world.platform_x.code,
                input={"order_number": f"PX{len(written):010d}"},
            )
            written.append(str(queries.query_submit(actor=world.officer_a, submission=submission).pk))
    finally:
        connections.close_all()


def test_a_dump_of_a_running_gateway_restores_whole(world: Any, postgres: None, tmp_path: Path) -> None:
    path = f"/api/v1/adapter/queries/{world.query_a.pk}/answer/"
    assert signed_world_client(world.key_x).post(path, ANSWER, format="json").status_code == 200
    sequence_events()
    heads, key = tmp_path / "heads-before.jsonl", tmp_path / "audit.pem"
    call_command("audit_export_heads", str(heads), public_key=str(key))
    sequence_events()  # more heads after the published ones: the copy must extend them

    restored = f"{connection.settings_dict['NAME']}_restored"
    _drop(restored)
    stop, written = threading.Event(), list[str]()
    writer = threading.Thread(target=_keep_writing, args=(world, stop, written))
    writer.start()
    env = {**os.environ, "DATABASE_URL": _url(connection.settings_dict["NAME"])}
    try:
        drill = subprocess.run(
            ["/bin/bash", "scripts/restore_drill", str(heads), str(key), restored],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        stop.set()
        writer.join()
    try:
        assert drill.returncode == 0, drill.stdout + drill.stderr
        figures = json.loads(drill.stdout.strip().splitlines()[-1])
        assert figures["drill"] == "restore" and figures["dump_bytes"] > 0
        print(json.dumps(figures, ensure_ascii=False))  # noqa: T201 - the drill's figures, for the record
        assert "no fault" in figures["data_verify"], figures
        assert written, "the officer kept writing during the dump"
        # The restored rows are the originals: the finding found by the same blind index, the
        # answer the same ciphertext (which data_verify decrypted).
        keys = [(key.version, key.secret) for key in keyring.active(KeyPurpose.INDEX)]
        digests = blind_index.digests(keys, "account", ACCOUNT)
        sql = {
            "findings": "SELECT id::text FROM gateway_finding WHERE value_index = ANY(%s) ORDER BY id",
            "answer": "SELECT answer FROM gateway_query WHERE id = %s",
        }
        with psycopg.connect(_url(restored)) as copy, connection.cursor() as original:
            for name, params in (("findings", [digests]), ("answer", [world.query_a.pk])):
                original.execute(sql[name], params)
                mine = [
                    tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                    for r in original.fetchall()
                ]
                theirs = copy.execute(sql[name], params).fetchall()
                assert mine and [tuple(r) for r in theirs] == mine, name

        # The same copy with another master key: nothing decrypts, the check says so.
        wrong = {**env, "DATABASE_URL": _url(restored), "AFX_MASTER_KEY": "A" * 43 + "="}
        refused = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "data_verify", "--verbosity", "0"],
            cwd=ROOT, env=wrong, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert refused.returncode != 0
    finally:
        _drop(restored)
