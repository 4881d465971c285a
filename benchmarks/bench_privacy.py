"""Benchmark personal-data encryption on PostgreSQL and print one JSON line.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth):

    .venv/bin/python benchmarks/bench_privacy.py              # 1,000,000 rows; the first run seeds them
    .venv/bin/python benchmarks/bench_privacy.py --rows 100000

Measures, through the real fields and selectors:
- field-level encryptions and decryptions per second (`pre_save` / attribute read);
- blind-index lookup latency (p50, p95) over `--rows` encrypted rows, with one index key
  version and with two (a rotation in progress), against a baseline measured in the same run:
  a plain indexed-column lookup on the same table, since the machine is noisy;
- rows re-encrypted and re-indexed per second by the rotation, over `--rotate-rows` rows.

The seeded tables stay in the `afx_bench` database, so later runs skip seeding. The rotation
runs inside a transaction that is rolled back, so every run starts from the same keys.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/afx_bench"
SEED = 3
NAMES = ["张三", "李四", "王五", "赵六", "欧阳娜娜", "Zhang San", "陈小明", "刘德华"]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _create_database(url: str, *, fresh: bool) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if fresh:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def _setup(url: str) -> None:
    """Django on the bench database, with a master key of its own that outlives `var/`."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("AFX_MASTER_KEY_FILE", str(Path.home() / ".cache" / "afx-bench" / "master.key"))
    _create_database(url, fresh=False)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from privacy.errors import KeyringError
    from privacy.keyring import keyring

    call_command("migrate", verbosity=0)
    try:
        keyring.current("encrypt")
    except KeyringError:
        _log("the bench database was seeded under another master key: starting afresh")
        connection.close()
        _create_database(url, fresh=True)
        call_command("migrate", verbosity=0)


def _models() -> tuple[Any, Any]:
    from django.apps.registry import Apps
    from django.db import models

    from privacy.choices import Kind
    from privacy.fields import BlindIndexField, EncryptedTextField

    registry = Apps(installed_apps=[])

    class Account(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        number = EncryptedTextField(kind=Kind.ACCOUNT)
        number_index = BlindIndexField(source="number")
        holder = EncryptedTextField(kind=Kind.NAME)
        holder_index = BlindIndexField(source="holder")
        # The baseline: the same kind of lookup on a plain indexed column.
        reference = models.CharField(max_length=20, db_index=True)

        class Meta:
            abstract = True

    class LookupAccount(Account):  # noqa: DJ008
        class Meta:
            app_label = "privacy_bench"
            apps = registry
            db_table = "privacy_bench_lookup"

    class RotationAccount(Account):  # noqa: DJ008
        class Meta:
            app_label = "privacy_bench"
            apps = registry
            db_table = "privacy_bench_rotation"

    return LookupAccount, RotationAccount


def _number(i: int) -> str:
    return f"6222{i:015d}"


def _sealed_rows(model: Any, start: int, stop: int) -> Iterable[tuple[Any, ...]]:
    """Rows encrypted and indexed through the fields' own `pre_save`, as `Model.save()` would."""
    fields = model._meta.concrete_fields
    for i in range(start, stop):
        account = model(number=_number(i), holder=NAMES[i % len(NAMES)], reference=f"REF{i:012d}")
        yield tuple(field.get_prep_value(field.pre_save(account, True)) for field in fields)


def _seed(model: Any, rows: int, url: str) -> None:
    import psycopg
    from django.db import connection

    existing_tables = connection.introspection.table_names()
    if model._meta.db_table not in existing_tables:
        with connection.schema_editor() as editor:
            editor.create_model(model)
    present = model._base_manager.count()
    if present >= rows:
        return
    _log(f"seeding {model._meta.db_table}: {present} -> {rows} rows")
    columns = ", ".join(f.column for f in model._meta.concrete_fields)
    chunk = 50_000
    copy_sql = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    # Its own connection: the keyring may query the database while a COPY is under way.
    with psycopg.connect(url) as copier:
        for start in range(present, rows, chunk):
            with copier.cursor() as copying, copying.copy(copy_sql) as copy:
                for row in _sealed_rows(model, start, min(start + chunk, rows)):
                    copy.write_row(row)
            copier.commit()
            _log(f"  {min(start + chunk, rows)} rows")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {model._meta.db_table}")


def _per_second(action: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return round(count / (time.perf_counter() - started))


def _field_rates(model: Any, count: int) -> dict[str, float]:
    from privacy.envelope import Ciphertext

    field = model._meta.get_field("number")
    accounts = [model(number=_number(i)) for i in range(count)]
    sealed = iter(accounts)
    encrypt = _per_second(lambda: field.pre_save(next(sealed), True), count)
    loaded = iter(accounts)
    assert all(isinstance(a.__dict__["number"], Ciphertext) for a in accounts)
    decrypt = _per_second(lambda: next(loaded).number, count)
    return {"encrypt_per_s": encrypt, "decrypt_per_s": decrypt}


def _latencies_ms(lookup: Callable[[int], list[Any]], samples: list[int]) -> dict[str, float]:
    for i in samples[:100]:  # warm the plan cache and the keyring
        lookup(i)
    timings = []
    for i in samples:
        started = time.perf_counter()
        found = lookup(i)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(found) == 1, "a lookup must find exactly its row"
    return {
        "p50": round(statistics.median(timings), 3),
        "p95": round(statistics.quantiles(timings, n=20)[18], 3),
    }


def _lookups(model: Any, rows: int, count: int) -> dict[str, dict[str, float]]:
    from privacy.selectors import blind_index_filter

    samples = random.Random(SEED).sample(range(rows), count)
    pks = model._base_manager.values_list("pk", flat=True)
    return {
        "blind_index": _latencies_ms(
            lambda i: list(pks.filter(blind_index_filter(model, "number", _number(i)))), samples
        ),
        "baseline": _latencies_ms(lambda i: list(pks.filter(reference=f"REF{i:012d}")), samples),
    }


class _RolledBack(Exception):
    pass


def _rotation(
    lookup_model: Any, lookup_rows: int, rotation_model: Any, rows: int, lookups: int
) -> dict[str, Any]:
    """Rotate `rotation_model` in a transaction that is rolled back; lookups meanwhile try two versions."""
    from django.db import transaction

    from privacy.choices import KeyPurpose
    from privacy.keyring import keyring
    from privacy.rotation import key_versions_add, rows_reencrypt

    figures: dict[str, Any] = {}
    try:
        with transaction.atomic():
            key_versions_add(purposes=KeyPurpose.values)
            figures["during_rotation"] = _lookups(lookup_model, lookup_rows, lookups)
            # Rows per second up to the last batch; the final check (and its wait for other
            # processes' keyrings) is a fixed cost per rotation, reported as part of the total.
            started, last_batch = time.perf_counter(), [0.0]
            result = rows_reencrypt(
                in_models=[rotation_model],
                batch_size=2000,
                progress=lambda _: last_batch.__setitem__(0, time.perf_counter()),
            )
            figures["seconds_total"] = round(time.perf_counter() - started, 2)
            assert result.remaining == 0 and result.rows_rewritten == rows
            figures["rows_per_s"] = round(rows / (last_batch[0] - started))
            raise _RolledBack
    except _RolledBack:
        keyring.reset()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows searched by the lookups")
    parser.add_argument("--rotate-rows", type=int, default=100_000, help="rows re-encrypted by the rotation")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--field-ops", type=int, default=50_000, help="encryptions and decryptions timed")
    parser.add_argument(
        "--database-url", default=os.environ.get("AFX_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    args = parser.parse_args()

    _setup(args.database_url)
    from django.db import connection

    lookup_model, rotation_model = _models()
    _seed(lookup_model, args.rows, args.database_url)
    _seed(rotation_model, args.rotate_rows, args.database_url)
    _log("measuring")
    rates = _field_rates(lookup_model, args.field_ops)
    lookups = _lookups(lookup_model, args.rows, args.lookups)
    rotation = _rotation(lookup_model, args.rows, rotation_model, args.rotate_rows, args.lookups)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(
        json.dumps(
            {
                "bench": "privacy",
                "rows": args.rows,
                **rates,
                "lookup_p50_ms": lookups["blind_index"]["p50"],
                "lookup_p95_ms": lookups["blind_index"]["p95"],
                "lookup_p95_ms_two_key_versions": rotation["during_rotation"]["blind_index"]["p95"],
                "baseline_lookup_p50_ms": lookups["baseline"]["p50"],
                "baseline_lookup_p95_ms": lookups["baseline"]["p95"],
                "rotation_rows": args.rotate_rows,
                "rotation_rows_per_s": rotation["rows_per_s"],
                "rotation_seconds_total": rotation["seconds_total"],
                "postgresql": server,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
