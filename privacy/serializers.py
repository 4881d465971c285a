"""DRF: encrypted values leave the API masked, whatever serializer renders them."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from .choices import Kind
from .fields import BlindIndexField, EncryptedTextField
from .masking import HIDDEN, mask


class MaskedField(serializers.Field):
    """Read-only: the attribute masked for its kind (`6222 **** **** 1234`, `张*`, `138****5678`).

    The kind comes from `kind=` or from the model field behind `source`. Secrets and blind
    indexes render fully hidden and are never decrypted. Plaintext only leaves through
    `audit.reveal.reveal_field`, never through a serializer.
    """

    def __init__(self, *, kind: str | None = None, **kwargs: Any) -> None:
        self.kind = None if kind is None else Kind(kind).value
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> str | None:
        owner = instance
        for attr in self.source_attrs[:-1]:
            owner = getattr(owner, attr)
            if owner is None:
                return None
        kind = self.kind or _kind_of(owner, self.source_attrs[-1])
        if kind == Kind.SECRET:
            return HIDDEN
        plaintext = getattr(owner, self.source_attrs[-1])
        return None if plaintext is None else mask(kind, plaintext)

    def to_representation(self, value: str) -> str:
        return value


def _kind_of(owner: models.Model, attr: str) -> str:
    field = owner._meta.get_field(attr)
    # A blind index is not personal data, but it links rows: it is hidden like a secret.
    return field.kind_of(owner) if isinstance(field, EncryptedTextField) else Kind.SECRET


def register_masked_mapping() -> None:
    """Make every ModelSerializer render encrypted fields (and blind indexes) through MaskedField."""
    mapping = serializers.ModelSerializer.serializer_field_mapping
    mapping[EncryptedTextField] = MaskedField
    mapping[BlindIndexField] = MaskedField
