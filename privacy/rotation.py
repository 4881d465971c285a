"""Online key rotation: move every stored value onto the current key versions, batch by batch.

`key_versions_add` makes new versions current at once (new writes use them); then
`rows_reencrypt` walks each table in primary-key order and rewrites, in one statement per
batch, the values still under an older version. Reads and writes go on meanwhile:

- a write never loses to the rotation: each column is replaced only if it still holds the
  value the batch read (compare-and-set), otherwise the newer write stands;
- the work left is read from the data itself (the version in each header), so a crash
  loses nothing and running it again resumes where it stopped;
- other processes may encrypt under the old version until their keyring refreshes, so the
  final check waits for that and makes another pass if needed;
- `key_versions_retire_unused` retires a version only when no row holds it any more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import Max
from django.utils import timezone

from . import blind_index
from .choices import KeyPurpose, KeyState
from .envelope import Ciphertext
from .fields import BlindIndexField, EncryptedTextField
from .keyring import data_key_create, keyring, refresh_seconds
from .models import DataKey
from .selectors import encrypted_models, key_usage, protected_fields

MAX_PASSES = 5
# Keeps one statement well under the bind-parameter limits of SQLite (32766) and PostgreSQL (65535).
MAX_PARAMETERS = 30_000

Column = EncryptedTextField | BlindIndexField
Progress = Callable[[int], Any]


@dataclass
class RotationResult:
    rows_scanned: int = 0
    rows_rewritten: int = 0
    passes: int = 0
    # Values still under an older version after the last pass (0 when the rotation is complete).
    remaining: int = 0


def key_versions_add(*, purposes: Iterable[str]) -> list[DataKey]:
    """Add a data key version per purpose; each becomes current for new writes at once."""
    return [data_key_create(purpose=purpose) for purpose in purposes]


def rows_reencrypt(
    *,
    in_models: Sequence[type[models.Model]] | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> RotationResult:
    """Re-encrypt and re-index every value not under the current versions; resumable, online."""
    targets = encrypted_models() if in_models is None else list(in_models)
    result = RotationResult()
    while result.passes < MAX_PASSES:
        result.passes += 1
        for model in targets:
            _rewrite_table(model, batch_size, progress, result)
        _wait_for_other_keyrings()
        result.remaining = rows_pending(targets)
        if not result.remaining:
            break
    return result


def rows_pending(in_models: Sequence[type[models.Model]] | None = None) -> int:
    """How many stored values still need a key version other than the current one."""
    current = _current_versions()
    return sum(u.rows for u in key_usage(in_models) if u.version != current.get(u.purpose))


def key_versions_retire_unused(*, in_models: Sequence[type[models.Model]] | None = None) -> list[DataKey]:
    """Retire every active version that is not current and that no stored value needs."""
    used = {(u.purpose, u.version) for u in key_usage(in_models) if u.rows}
    current = _current_versions()
    retired = []
    with transaction.atomic():
        for key in DataKey.objects.select_for_update().filter(state=KeyState.ACTIVE):
            if key.version != current[key.purpose] and (key.purpose, key.version) not in used:
                key.state, key.retired_at = KeyState.RETIRED, timezone.now()
                key.save(update_fields=["state", "retired_at"])
                retired.append(key)
    keyring.reset()
    return retired


def _current_versions() -> dict[str, int]:
    """Read from the database, not the keyring cache, which may lag behind another process."""
    rows = DataKey.objects.filter(state=KeyState.ACTIVE).values("purpose").annotate(v=Max("version"))
    return {row["purpose"]: row["v"] for row in rows}


def _wait_for_other_keyrings() -> None:
    """Give every process time to notice the newest versions, so none still writes under an old one."""
    newest = DataKey.objects.filter(state=KeyState.ACTIVE).aggregate(at=Max("created_at"))["at"]
    if newest is not None:
        delay = (newest - timezone.now()).total_seconds() + refresh_seconds()
        if delay > 0:
            time.sleep(delay)


def _rewrite_table(
    model: type[models.Model], batch_size: int, progress: Progress | None, result: RotationResult
) -> None:
    columns = protected_fields(model)
    # Columns whose kind is another column's (`kind_field`): re-indexing needs each row's kind.
    kind_columns = sorted(
        {c.kind_field for c in columns if isinstance(c, EncryptedTextField) and c.kind_field}
    )
    batch_size = max(1, min(batch_size, MAX_PARAMETERS // (1 + 2 * len(columns))))
    last_pk = None
    while True:
        page = model._base_manager.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        rows = list(page.values_list("pk", *(c.attname for c in columns), *kind_columns)[:batch_size])
        if not rows:
            return
        current = (keyring.current(KeyPurpose.ENCRYPT).version, keyring.current(KeyPurpose.INDEX).version)
        changes = [
            (row[0], change) for row in rows if (change := _row_change(row, columns, kind_columns, current))
        ]
        if changes:
            _write_batch(model, columns, changes)
        last_pk = rows[-1][0]
        result.rows_scanned += len(rows)
        result.rows_rewritten += len(changes)
        if progress is not None:
            progress(len(rows))


def _row_change(
    row: Sequence[Any], columns: list[Column], kind_columns: list[str], current: tuple[int, int]
) -> dict[Column, tuple[Any, Any]]:
    """For one row (pk, *columns, *kind_columns), each column to replace: (value read, new value).

    Decrypts at most once per field, and only rows that need it.
    """
    pk, encrypt_version, index_version = row[0], *current
    names = [c.name for c in columns] + kind_columns
    values: dict[str, Any] = dict(zip(names, row[1:], strict=True))
    plaintexts: dict[str, str] = {}

    def plaintext(field: EncryptedTextField) -> str:
        if field.name not in plaintexts:
            plaintexts[field.name] = field.open_for(pk, values[field.name])
        return plaintexts[field.name]

    change: dict[Column, tuple[Any, Any]] = {}
    for column in columns:
        old = values[column.name]
        if isinstance(column, EncryptedTextField):
            if isinstance(old, Ciphertext) and old.key_version != encrypt_version:
                change[column] = (old, column.seal_for(pk, plaintext(column)))
        elif values[column.source] is not None and (
            old is None or blind_index.version_of(old) != index_version
        ):
            # Also fills an index missing beside a value, e.g. after the index field was added.
            source = column.source_field
            kind = source.kind if source.kind is not None else values[str(source.kind_field)]
            new = column.compute(plaintext(source), kind)
            if new != old:
                change[column] = (old, new)
    return change


def _write_batch(
    model: type[models.Model],
    columns: list[Column],
    changes: list[tuple[Any, dict[Column, tuple[Any, Any]]]],
) -> None:
    """One UPDATE for the batch; each column is set only where it still holds the value read.

    A concurrent write that changed a column in between wins: its value is under the
    current version already, or the final check sends the rotation round again.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk_field = model._meta.pk
    names = ["pk"]
    assignments = []
    for i, column in enumerate(columns):
        names += [f"old{i}", f"new{i}"]
        name, qualified = quote(column.column), f"{table}.{quote(column.column)}"
        assignments.append(f"{name} = CASE WHEN {qualified} = v.old{i} THEN v.new{i} ELSE {qualified} END")
    casts = [f"CAST(%s AS {pk_field.db_type(connection)})"]
    casts += [f"CAST(%s AS {c.db_type(connection)})" for c in columns for _ in range(2)]
    row_sql = f"({', '.join(casts)})"
    # Identifiers come from model metadata, every value is a bound parameter.
    pk_column = f"{table}.{quote(pk_field.column)}"
    # The key range lets the planner walk the primary key index instead of scanning the table.
    sql = (
        f"WITH v ({', '.join(names)}) AS (VALUES {', '.join([row_sql] * len(changes))}) "  # noqa: S608
        f"UPDATE {table} SET {', '.join(assignments)} FROM v "
        f"WHERE {pk_column} = v.pk AND {pk_column} BETWEEN %s AND %s"
    )
    params: list[Any] = []
    for pk, change in changes:
        params.append(pk_field.get_db_prep_value(pk, connection))
        for column in columns:
            old, new = change.get(column, (None, None))
            params += [column.get_db_prep_value(old, connection), column.get_db_prep_value(new, connection)]
    params += [pk_field.get_db_prep_value(changes[0][0], connection)]
    params += [pk_field.get_db_prep_value(changes[-1][0], connection)]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
