"""Reads over encrypted data that decrypt nothing: blind-index lookups and key usage counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Count
from django.db.models.functions import Substr

from . import blind_index, envelope
from .choices import KeyPurpose
from .fields import BlindIndexField, EncryptedTextField
from .keyring import keyring


def blind_index_filter(
    model: type[models.Model], field_name: str, value: str, *, kind: str | None = None
) -> models.Q:
    """Rows whose encrypted `field_name` equals `value` once normalised, as one indexed `IN` query.

    `kind` says what `value` is; a field of one kind knows it, a field whose kind is a column
    (`kind_field`) must be told, and then matches only rows of that kind (the kind is part
    of the digest). The digest is computed under every active index key version, so rows not
    yet re-indexed by a running rotation are found too. A value that normalises to nothing
    matches no row.
    """
    return blind_index_filter_any(model, field_name, [value], kind=kind)


def blind_index_filter_any(
    model: type[models.Model], field_name: str, values: Sequence[str], *, kind: str | None = None
) -> models.Q:
    """Rows whose encrypted `field_name` equals any of `values`, as one indexed `IN` query: a
    batch of values costs one query, not one each (`blind_index_filter` for the rules)."""
    index = index_field_for(model, field_name)
    kind = _search_kind(index.source_field, kind)
    keys = [(key.version, key.secret) for key in keyring.active(KeyPurpose.INDEX)]
    digests = [digest for value in values for digest in blind_index.digests(keys, kind, value)]
    return models.Q(**{f"{index.name}__in": digests}) if digests else models.Q(pk__in=[])


def _search_kind(field: EncryptedTextField, kind: str | None) -> str:
    if kind is None:
        if field.kind is None:
            raise ValueError(f"{field.label} holds values of several kinds: say which kind= to search.")
        return field.kind
    if kind not in field.kinds() or kind not in blind_index.NORMALISERS:
        raise ValueError(f"{field.label} holds no searchable values of kind {str(kind)!r}.")
    return kind


def index_field_for(model: type[models.Model], field_name: str) -> BlindIndexField:
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source == field_name:
            return field
    raise LookupError(f"{model._meta.label}.{field_name} has no BlindIndexField: it cannot be searched.")


def encrypted_models() -> list[type[models.Model]]:
    """Every installed model that stores encrypted values or blind indexes."""
    return [
        model
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed and protected_fields(model)
    ]


def protected_fields(model: type[models.Model]) -> list[EncryptedTextField | BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField | BlindIndexField)]


@dataclass(frozen=True)
class KeyUsage:
    """How many stored values of one column need one key version."""

    model: str
    field: str
    purpose: str
    version: int
    rows: int


def key_usage(in_models: Sequence[type[models.Model]] | None = None) -> list[KeyUsage]:
    """Rows per key version, per column, read from the ciphertext and index headers (no key needed)."""
    usage = []
    for model in encrypted_models() if in_models is None else in_models:
        for field in protected_fields(model):
            purpose, offset = (
                (KeyPurpose.ENCRYPT, envelope.KEY_VERSION_OFFSET)
                if isinstance(field, EncryptedTextField)
                else (KeyPurpose.INDEX, blind_index.VERSION_OFFSET)
            )
            # SQL counts from 1; both headers hold the version as 4 big-endian bytes.
            version = Substr(field.attname, offset + 1, 4, output_field=models.BinaryField())
            counts = (
                model._base_manager.filter(**{f"{field.attname}__isnull": False})
                .annotate(key_version=version)
                .values("key_version")
                .annotate(rows=Count("pk"))
                .order_by("key_version")
            )
            for count in counts:
                key_version = int.from_bytes(bytes(count["key_version"]), "big")
                usage.append(KeyUsage(model._meta.label, field.name, purpose, key_version, count["rows"]))
    return usage
