"""A dump of the database after seeding holds none of the personal values, nor any key."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from partners.choices import PartnerKind
from partners.models import AdapterKey, Partner
from privacy.choices import KeyPurpose
from privacy.keyring import keyring
from tests.privacy.conftest import ACCOUNT, HOLDER, NOTE, PHONE
from tests.privacy.probe import PROBE_MODELS, ProbeAccount, ProbeAdapterKey, ProbePhone

SECRET = "s3cr3t-signing-key-for-dump-test"


@pytest.fixture
def committed(transactional_db: None) -> Iterator[None]:
    """Committed rows, as a dump taken by another process or a copy of the file sees them.

    Written straight through the ORM: the services would also write audit rows, which are
    append-only and would stop the test database from being emptied afterwards on SQLite.
    """
    ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER, note=NOTE)
    ProbePhone.objects.create(number=PHONE)
    ProbeAdapterKey.objects.create(signing_secret=SECRET)
    bank = Partner.objects.create(
        code="dump-bank",
        name="Dump bank",
        kind=PartnerKind.BANK,
        group=Group.objects.create(name="partner:dump"),
    )
    # Adapter keys are Ed25519 public keys now: the gateway holds no adapter secret to leak.
    AdapterKey.objects.create(partner=bank, key_id="dump", public_key="A" * 43)
    yield
    for model in PROBE_MODELS:  # not in the app registry, so the test flush leaves them alone
        model._base_manager.all().delete()


def _assert_absent(dump: bytes) -> None:
    values = {"account": ACCOUNT, "holder": HOLDER, "note": NOTE, "phone": PHONE, "secret": SECRET}
    forbidden = {name: value.encode() for name, value in values.items()}
    for purpose in KeyPurpose.values:
        key = keyring.current(purpose).secret
        forbidden[f"{purpose} data key"], forbidden[f"{purpose} data key b64"] = key, base64.b64encode(key)
    leaked = [name for name, value in forbidden.items() if value in dump]
    assert not leaked, f"in the dump: {leaked}"


def test_sqlite_file_holds_no_plaintext(committed: None, tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file dump; PostgreSQL has test_pg_dump_holds_no_plaintext")
    copy = tmp_path / "afx.sqlite3"
    with closing(sqlite3.connect(copy)) as target:
        connection.connection.backup(target)
    with closing(sqlite3.connect(copy)) as check:
        assert check.execute("SELECT count(*) FROM privacy_probe_probeaccount").fetchone() == (1,)
    _assert_absent(copy.read_bytes() + "\n".join(connection.connection.iterdump()).encode())


@pytest.mark.integration
def test_pg_dump_holds_no_plaintext(committed: None) -> None:
    assert connection.vendor == "postgresql", "run with DATABASE_URL on PostgreSQL"
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["pg_dump", "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    dump = subprocess.run(
        [*command, "-U", db["USER"], db["NAME"]], env=env, capture_output=True, check=True
    ).stdout
    assert b"COPY public.privacy_probe_probeaccount" in dump  # the probe rows are really in it
    _assert_absent(dump)
