"""Checking that every stored personal value can be read, and found: after a restore from a
backup, a change of master key, or a rotation, before trusting the copy.

Every encrypted value of every model is decrypted (under the key version its header names,
bound to its row) and every blind index recomputed from its decrypted source, under the
index key version it was made with: an index that differs would make a search miss its row.
Nothing is printed or kept but counts and where a fault is (model, field, row key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models

from . import blind_index
from .choices import KeyPurpose
from .errors import DecryptionError, KeyringError
from .fields import BlindIndexField, EncryptedTextField
from .keyring import keyring
from .selectors import encrypted_models

MAX_FAULTS = 100


@dataclass
class DataReport:
    rows: int = 0
    values: int = 0
    indexes: int = 0
    fault_count: int = 0
    faults: list[str] = field(default_factory=list)  # the first `MAX_FAULTS`

    @property
    def ok(self) -> bool:
        return self.fault_count == 0

    def fault(self, where: str) -> None:
        self.fault_count += 1
        if len(self.faults) < MAX_FAULTS:
            self.faults.append(where)


def data_verify(*, batch_size: int = 1000, progress: Callable[[int], object] | None = None) -> DataReport:
    """Decrypt every stored value and recompute every blind index; a report of counts and faults."""
    report = DataReport()
    for model in encrypted_models():
        sealed = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        indexes = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
        for row in model._base_manager.order_by("pk").iterator(chunk_size=batch_size):
            report.rows += 1
            plaintexts = _opened(row, sealed, report)
            for index in indexes:
                _check_index(row, index, plaintexts, report)
            if progress is not None:
                progress(1)
    return report


def _opened(row: models.Model, sealed: list[EncryptedTextField], report: DataReport) -> dict[str, str | None]:
    plaintexts: dict[str, str | None] = {}
    for column in sealed:
        try:
            plaintexts[column.name] = getattr(row, column.attname)
        except (DecryptionError, KeyringError):
            report.fault(f"{column.label} of row {row.pk}: does not decrypt")
            continue
        if plaintexts[column.name] is not None:
            report.values += 1
    return plaintexts


def _check_index(
    row: models.Model, index: BlindIndexField, plaintexts: dict[str, str | None], report: DataReport
) -> None:
    stored = getattr(row, index.attname)
    source = index.source_field
    if source.name not in plaintexts:
        return  # its source did not decrypt: reported already
    plaintext = plaintexts[source.name]
    where = f"{index.model._meta.label}.{index.name} of row {row.pk}"
    if stored is None:
        if plaintext and blind_index.normalise(source.kind_of(row), plaintext):
            report.fault(f"{where}: missing beside its value")
        return
    stored = bytes(stored)
    try:
        key = keyring.get(KeyPurpose.INDEX, blind_index.version_of(stored))
    except (DecryptionError, KeyringError):
        report.fault(f"{where}: made with an index key that is not here")
        return
    if (
        plaintext is None
        or blind_index.digest(key.secret, key.version, source.kind_of(row), plaintext) != stored
    ):
        report.fault(f"{where}: does not match its value (a search would miss the row)")
        return
    report.indexes += 1
