"""A column whose values differ in kind row by row (`kind_field`): each row is normalised,
matched, masked, re-indexed and revealed as what it is."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import models
from pytest_django.fixtures import Settings
from rest_framework import serializers

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.reveal import reveal_field
from privacy.choices import KeyPurpose, Kind
from privacy.fields import BlindIndexField, EncryptedTextField
from privacy.rotation import key_versions_add, rows_reencrypt
from privacy.selectors import blind_index_filter
from privacy.serializers import MaskedField
from tests.privacy.probe import ProbeIdentifier

pytestmark = pytest.mark.django_db

# The same eleven digits, once a phone number and once an account number.
DIGITS = "13812345678"


def _found(value: str, kind: str) -> list[uuid.UUID]:
    matching = ProbeIdentifier.objects.filter(blind_index_filter(ProbeIdentifier, "value", value, kind=kind))
    return list(matching.values_list("pk", flat=True))


def test_each_row_is_indexed_as_its_own_kind() -> None:
    phone = ProbeIdentifier.objects.create(kind=Kind.PHONE, value=f"+86 {DIGITS}")
    account = ProbeIdentifier.objects.create(kind=Kind.ACCOUNT, value=f"{DIGITS[:4]} {DIGITS[4:]}")
    # The phone's normalisation drops the country code; the kind keeps equal digits apart.
    assert _found(f"0086{DIGITS}", Kind.PHONE) == [phone.pk]
    assert _found(DIGITS, Kind.ACCOUNT) == [account.pk]
    assert phone.value_index != account.value_index


def test_a_search_must_name_a_kind_the_column_holds() -> None:
    with pytest.raises(ValueError, match="kind="):
        blind_index_filter(ProbeIdentifier, "value", DIGITS)
    with pytest.raises(ValueError, match="name"):
        blind_index_filter(ProbeIdentifier, "value", DIGITS, kind=Kind.NAME)


class Shown(serializers.Serializer):
    value = MaskedField()


def test_masked_as_the_rows_kind() -> None:
    phone = ProbeIdentifier.objects.create(kind=Kind.PHONE, value=DIGITS)
    account = ProbeIdentifier.objects.create(kind=Kind.ACCOUNT, value="6222021234567891234")
    assert Shown(ProbeIdentifier.objects.get(pk=phone.pk)).data == {"value": "138****5678"}
    assert Shown(ProbeIdentifier.objects.get(pk=account.pk)).data == {"value": "6222 **** **** 1234"}


def test_rotation_reindexes_each_row_as_its_kind(settings: Settings) -> None:
    settings.AFX_KEYRING_REFRESH_SECONDS = 0
    phone = ProbeIdentifier.objects.create(kind=Kind.PHONE, value=f"+86 {DIGITS}")
    account = ProbeIdentifier.objects.create(kind=Kind.ACCOUNT, value=DIGITS)
    key_versions_add(purposes=[KeyPurpose.ENCRYPT, KeyPurpose.INDEX])
    result = rows_reencrypt(in_models=[ProbeIdentifier])
    assert result.remaining == 0
    assert _found(DIGITS, Kind.PHONE) == [phone.pk]
    assert _found(DIGITS, Kind.ACCOUNT) == [account.pk]
    assert ProbeIdentifier.objects.get(pk=phone.pk).value == f"+86 {DIGITS}"


def test_revealed_with_the_field_name(world: Any) -> None:
    phone = ProbeIdentifier.objects.create(kind=Kind.PHONE, value=DIGITS)
    assert reveal_field(actor=world.officer_a, obj=phone, field_name="value", purpose="case 17") == DIGITS
    assert AuditEvent.objects.get(action=AuditAction.PLAINTEXT_REVEALED).details["field"] == "value"


def test_system_checks_of_a_kind_column() -> None:
    isolated = Apps(installed_apps=[])

    class NoKindColumn(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        value = EncryptedTextField(kind_field="missing")

        class Meta:
            app_label = "privacy_check"
            apps = isolated

    class FreeKinds(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        kind = models.CharField(max_length=20)
        value = EncryptedTextField(kind_field="kind")

        class Meta:
            app_label = "privacy_check"
            apps = isolated

    class Unsearchable(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        kind = models.CharField(max_length=20, choices=[(Kind.PHONE, "Phone"), (Kind.FREE_TEXT, "Note")])
        value = EncryptedTextField(kind_field="kind")
        value_index = BlindIndexField(source="value")

        class Meta:
            app_label = "privacy_check"
            apps = isolated

    models_checked = (NoKindColumn, FreeKinds, Unsearchable)
    ids = {model.__name__: [str(error.id) for error in model.check()] for model in models_checked}
    assert ids == {
        "NoKindColumn": ["privacy.E004"],
        "FreeKinds": ["privacy.E004"],
        "Unsearchable": ["privacy.E003"],
    }
    assert ProbeIdentifier.check() == []
    with pytest.raises(TypeError, match="either kind= or kind_field="):
        EncryptedTextField(kind=Kind.PHONE, kind_field="kind")


def test_migrations_see_the_kind_column_by_name() -> None:
    assert ProbeIdentifier._meta.get_field("value").deconstruct()[3] == {"kind_field": "kind"}


def test_changing_a_rows_kind_must_save_its_index_too() -> None:
    identifier = ProbeIdentifier.objects.create(kind=Kind.ACCOUNT, value=DIGITS)
    identifier.kind = Kind.PHONE
    with pytest.raises(ValueError, match="value_index"):
        identifier.save(update_fields=["kind"])
    identifier.save(update_fields=["kind", "value_index"])
    assert _found(DIGITS, Kind.PHONE) == [identifier.pk]
