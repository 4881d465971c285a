"""Admin: encrypted values shown masked in lists and detail pages; data keys read-only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core import checks
from django.db import models
from django.http import HttpRequest

from .choices import Kind
from .fields import BlindIndexField, EncryptedTextField
from .masking import HIDDEN, mask
from .models import DataKey

# The mixin is typed as the ModelAdmin it is mixed into; at run time it stands alone.
if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


def _masked_column(field: EncryptedTextField) -> Callable[[models.Model], str | None]:
    @admin.display(description=field.verbose_name)
    def column(obj: models.Model) -> str | None:
        kind = field.kind_of(obj)
        if kind == Kind.SECRET:
            return HIDDEN
        plaintext = getattr(obj, field.attname)
        return None if plaintext is None else mask(kind, plaintext)

    return column


class MaskedFieldsAdminMixin(_AdminBase):
    """Put before `admin.ModelAdmin`: every encrypted field appears masked, read-only, everywhere.

    Field names in `list_display`, `fields`, `fieldsets` and `readonly_fields` are swapped for
    masked columns named `<field>_masked`; encrypted fields not listed anywhere are appended
    read-only to the detail page. Searching, filtering or ordering on them is a configuration
    error (`privacy.E010`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._masked_names: dict[str, str] = {}
        for field in self.model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                # An attribute of the admin: Django's admin looks column names up there.
                setattr(self, f"{field.name}_masked", _masked_column(field))
                self._masked_names[field.name] = f"{field.name}_masked"

    def _swap(self, names: Sequence[Any]) -> list[Any]:
        return [
            self._swap(name) if isinstance(name, list | tuple) else self._masked_names.get(name, name)
            for name in names
        ]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return self._swap(super().get_list_display(request))

    def get_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[Any]:
        return self._swap(super().get_fields(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None) -> list[Any]:
        fieldsets = super().get_fieldsets(request, obj)
        return [(name, {**options, "fields": self._swap(options["fields"])}) for name, options in fieldsets]

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[Any]:
        listed = self._swap(super().get_readonly_fields(request, obj))
        return [*listed, *(name for name in self._masked_names.values() if name not in listed)]

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        protected = {
            f.name
            for f in self.model._meta.concrete_fields
            if isinstance(f, EncryptedTextField | BlindIndexField)
        }
        for option in ("search_fields", "list_filter", "ordering", "list_editable"):
            for entry in getattr(self, option, None) or ():
                if isinstance(entry, str) and entry.lstrip("-^=@").split("__")[0] in protected:
                    errors.append(
                        checks.Error(
                            f"{option} names the encrypted field {entry!r}: it cannot be searched, "
                            "filtered or ordered without showing or comparing plaintext.",
                            obj=self.__class__,
                            id="privacy.E010",
                        )
                    )
        return errors


@admin.register(DataKey)
class DataKeyAdmin(admin.ModelAdmin):
    """Data keys are made and retired by `keys_rotate`, never by hand; the wrapped key is not shown."""

    list_display = ("purpose", "version", "state", "wrapped_by", "created_at", "retired_at")
    list_filter = ("purpose", "state")
    fields = ("purpose", "version", "state", "wrapped_by", "created_at", "retired_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
