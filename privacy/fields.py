"""Model fields for personal data: encrypted text bound to its row, and its blind index.

    class Account(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        number = EncryptedTextField(kind=Kind.ACCOUNT)
        number_index = BlindIndexField(source="number")

A column whose values differ in kind row by row (the subject of a query: an order number in
one row, an account in the next) names the sibling column holding each row's kind instead:

    subject_kind = models.CharField(max_length=20, choices=[(Kind.PHONE, "Phone"), ...])
    subject = EncryptedTextField(kind_field="subject_kind")
    subject_index = BlindIndexField(source="subject")

The attribute reads as plaintext and takes plaintext; `save()` encrypts it, bound to the
model, the field and the row's primary key. That key must be known before the insert, so
these models need a UUID primary key with a default (system check `privacy.E001`).

What is kept on the instance is the ciphertext as loaded, or the plaintext assigned and not
yet saved; reads decrypt each time, so pickled instances and cached querysets hold
ciphertext only. Paths with no row to bind to never see plaintext: `values()` and
`values_list()` yield `Ciphertext` objects, and plaintext passed to `QuerySet.update()`,
`bulk_update()` or `filter()` raises `PlaintextWriteRefused`.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import pre_save

from . import blind_index
from .choices import KeyPurpose, Kind
from .envelope import Ciphertext, binding, seal, unseal
from .errors import DecryptionError, PlaintextWriteRefused
from .keyring import keyring

StoredValue = str | Ciphertext | None


class SealedAttribute(DeferredAttribute):
    """Decrypts on every read, with the instance's primary key; keeps assignments as they are."""

    field: EncryptedTextField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        return self.field.open_for(instance.pk, value) if isinstance(value, Ciphertext) else value

    def __set__(self, instance: Any, value: Any) -> None:
        if value is not None and not isinstance(value, str | Ciphertext):
            # The message names the type only: the value itself may be personal data.
            raise TypeError(f"{self.field.label} takes text, not {type(value).__name__}.")
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.Field):
    """Text encrypted with AES-256-GCM, bound to model, field and row; never offered in forms.

    `kind` says what the value is (`privacy.choices.Kind`): it decides how the value is
    masked and, for a `BlindIndexField` beside it, normalised for search. A column whose
    rows hold values of different kinds gives `kind_field` instead, the sibling column
    holding each row's kind; read a row's kind with `kind_of`.
    """

    descriptor_class = SealedAttribute
    description = "Text encrypted with AES-256-GCM, bound to its row"

    def __init__(
        self, *args: Any, kind: str | None = None, kind_field: str | None = None, **kwargs: Any
    ) -> None:
        if (kind is None) == (kind_field is None):
            raise TypeError("An EncryptedTextField takes either kind= or kind_field=, not both or neither.")
        # Plain text, so migrations do not import the enum.
        self.kind: str | None = None if kind is None else Kind(kind).value
        self.kind_field = kind_field
        # Forms would show the plaintext for editing; writes go through services instead.
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def kind_of(self, instance: models.Model) -> str:
        """What the value of this field in `instance` is: the field's kind, or the row's."""
        if self.kind is not None:
            return self.kind
        return Kind(getattr(instance, str(self.kind_field))).value

    def kinds(self) -> frozenset[str]:
        """Every kind a value of this column may have: the field's, or the kind column's choices."""
        if self.kind is not None:
            return frozenset({self.kind})
        try:
            column = self.model._meta.get_field(str(self.kind_field))
        except FieldDoesNotExist:
            return frozenset()
        return frozenset(str(value) for value, _ in getattr(column, "flatchoices", []))

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.name}"

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        del kwargs["editable"]
        if self.kind is not None:
            kwargs["kind"] = self.kind
        else:
            kwargs["kind_field"] = self.kind_field
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [
            *super().check(**kwargs),
            *self._check_row_binding(),
            *self._check_not_searchable(),
            *self._check_kind_field(),
        ]

    def _check_row_binding(self) -> list[checks.CheckMessage]:
        pk = self.model._meta.pk
        if isinstance(pk, models.UUIDField) and pk.has_default():
            return []
        return [
            checks.Error(
                "A model with encrypted fields needs a UUID primary key with a default: each value is "
                "bound to its row's key, which must be known before the insert.",
                hint="id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)",
                obj=self,
                id="privacy.E001",
            )
        ]

    def _check_not_searchable(self) -> list[checks.CheckMessage]:
        if not (self.unique or self.primary_key):
            return []
        return [
            checks.Error(
                "Ciphertexts are random: a unique constraint on them means nothing.",
                hint="Add a BlindIndexField(source=...) beside it and search that.",
                obj=self,
                id="privacy.E002",
            )
        ]

    def _check_kind_field(self) -> list[checks.CheckMessage]:
        """A row's kind must come from a column that can only hold kinds: one with Kind choices."""
        if self.kind_field is None:
            return []
        kinds = self.kinds()
        if kinds and kinds <= set(Kind.values):
            return []
        return [
            checks.Error(
                f"kind_field {self.kind_field!r} is not a column of this model whose choices are "
                "privacy kinds.",
                hint='subject_kind = models.CharField(max_length=20, choices=[(Kind.PHONE, "Phone"), ...])',
                obj=self,
                id="privacy.E004",
            )
        ]

    def get_internal_type(self) -> str:
        return "BinaryField"

    def bound_to(self, pk: Any) -> bytes:
        if pk is None:
            raise ValueError(
                f"{self.label}: a value is bound to its row's primary key, which is not set yet."
            )
        return binding(self.model._meta.label_lower, self.name, self.model._meta.pk.to_python(pk))

    def open_for(self, pk: Any, value: Ciphertext) -> str:
        """Decrypt a value stored in row `pk`; raises `DecryptionError`, naming field and row only."""
        key = keyring.get(KeyPurpose.ENCRYPT, value.key_version)
        try:
            return unseal(key.aead, value, self.bound_to(pk))
        except DecryptionError as error:
            raise DecryptionError(f"{self.label} of row {pk}: {error}") from None

    def seal_for(self, pk: Any, plaintext: str) -> Ciphertext:
        key = keyring.current(KeyPurpose.ENCRYPT)
        return seal(key.aead, key.version, plaintext, self.bound_to(pk))

    def stored_value(self, instance: models.Model) -> StoredValue:
        """What the instance holds, undecrypted: the ciphertext as loaded, or plaintext not yet saved."""
        if self.attname not in instance.__dict__:
            instance.refresh_from_db(fields=[self.attname])
        value: StoredValue = instance.__dict__[self.attname]
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Ciphertext | None:
        """Encrypt for this row; a loaded ciphertext must belong here, and moves to the current key."""
        value = self.stored_value(model_instance)
        if isinstance(value, Ciphertext):
            plaintext = self.open_for(model_instance.pk, value)
            if value.key_version == keyring.current(KeyPurpose.ENCRYPT).version:
                return value
            value = plaintext
        sealed = None if value is None else self.seal_for(model_instance.pk, value)
        model_instance.__dict__[self.attname] = sealed
        return sealed

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Ciphertext | None:
        return None if value is None else Ciphertext(bytes(value))

    def to_python(self, value: Any) -> StoredValue:
        """Plaintext stays plaintext (forms, `full_clean`); raw bytes become a Ciphertext."""
        if isinstance(value, bytes | memoryview):
            return Ciphertext(bytes(value))
        return value

    def get_prep_value(self, value: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return value.data
        raise PlaintextWriteRefused(
            f"{self.label}: plaintext can only be written by Model.save() (which binds it to the row) and "
            "never compared in SQL; search with privacy.selectors.blind_index_filter()."
        )

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        # As BinaryField does: the driver's own binary type.
        return None if value is None else connection.Database.Binary(value)

    def get_placeholder(self, value: Any, compiler: Any, connection: BaseDatabaseWrapper) -> Any:
        return connection.ops.binary_placeholder_sql(value)

    def value_from_object(self, obj: models.Model) -> Ciphertext | None:
        """The sealed value, never plaintext: what `dumpdata` and generic serialisers see.

        Loading such a dump back (`loaddata`) is refused: raw saves read the attribute, which
        decrypts, and the plaintext then meets `get_prep_value`. Restore from database backups.
        """
        value = self.stored_value(obj)
        return self.seal_for(obj.pk, value) if isinstance(value, str) else value

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else value.to_text()


class BlindIndexField(models.BinaryField):
    """Keyed HMAC of the normalised value of the encrypted field `source`, computed on save.

    Indexed by default; search it with `privacy.selectors.blind_index_filter()`, which
    matches every active index key version, so lookups keep working during a rotation.
    """

    description = "Blind index (keyed HMAC) of an encrypted field"

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.update(editable=False, null=True, blank=True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for fixed in ("editable", "null", "blank"):
            kwargs.pop(fixed, None)
        if not kwargs.pop("db_index", False):
            kwargs["db_index"] = False
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        if not cls._meta.abstract:
            uid = f"privacy-blind-index:{cls._meta.label}"
            pre_save.connect(_require_index_with_source, sender=cls, dispatch_uid=uid)

    @property
    def source_field(self) -> EncryptedTextField:
        field = self.model._meta.get_field(self.source)
        assert isinstance(field, EncryptedTextField), "checked by privacy.E003"
        return field

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *self._check_source()]

    def _check_source(self) -> list[checks.CheckMessage]:
        try:
            source = self.model._meta.get_field(self.source)
        except FieldDoesNotExist:
            source = None
        if not isinstance(source, EncryptedTextField):
            message = f"source {self.source!r} is not an EncryptedTextField of this model."
        elif source.kind_field is not None and not source.kinds():
            return []  # privacy.E004 on the source says why its kinds are unknown
        elif unsearchable := sorted(source.kinds() - set(blind_index.NORMALISERS)):
            message = (
                f"values of kind {', '.join(map(repr, unsearchable))} cannot be searched by exact match."
            )
        else:
            return []
        return [checks.Error(f"BlindIndexField {self.name}: {message}", obj=self, id="privacy.E003")]

    def compute(self, plaintext: str, kind: str) -> bytes | None:
        """The index of `plaintext`, a value of `kind`, under the current index key (None when
        it normalises to nothing: nothing to find)."""
        key = keyring.current(KeyPurpose.INDEX)
        return blind_index.digest(key.secret, key.version, kind, plaintext)

    def pre_save(self, model_instance: models.Model, add: bool) -> bytes | None:
        plaintext = getattr(model_instance, self.source)
        value = (
            None if plaintext is None else self.compute(plaintext, self.source_field.kind_of(model_instance))
        )
        setattr(model_instance, self.attname, value)
        return value

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        return None if value is None else bytes(value)

    def get_prep_value(self, value: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytes | memoryview):  # memoryview: as `loaddata` decodes binary fields
            return bytes(value)
        raise PlaintextWriteRefused(
            f"{self.model._meta.label}.{self.name} holds digests: search with "
            "privacy.selectors.blind_index_filter()."
        )


def _require_index_with_source(
    sender: type[models.Model], update_fields: frozenset[str] | None, **kwargs: Any
) -> None:
    """`save(update_fields=[source])` without the index would leave a stale index: refuse it,
    and the same for the column holding the source's kind."""
    if update_fields is None:
        return
    indexes = [f for f in sender._meta.concrete_fields if isinstance(f, BlindIndexField)]
    for field in indexes:
        inputs = {field.source, field.source_field.kind_field} - {None}
        if inputs & update_fields and field.name not in update_fields:
            raise ValueError(
                f"{sender._meta.label}: save {field.name!r} together with {field.source!r} "
                "(and its kind) in update_fields."
            )
