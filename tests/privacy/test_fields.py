"""Encrypted fields through the ORM: round trip, binding to row, field and table, and the refusals."""

from __future__ import annotations

import base64
import json
import os
import pickle
import uuid

import pytest
from django.apps.registry import Apps
from django.core import serializers
from django.db import connection, models, transaction
from pytest_django.fixtures import Settings

from privacy.choices import KeyPurpose, Kind
from privacy.envelope import Ciphertext
from privacy.errors import DecryptionError, KeyringError, PlaintextWriteRefused
from privacy.fields import BlindIndexField, EncryptedTextField
from privacy.keyring import data_key_create, keyring
from privacy.models import DataKey
from tests.privacy.conftest import ACCOUNT, HOLDER, NOTE, PHONE
from tests.privacy.probe import ProbeAccount, ProbePhone

pytestmark = pytest.mark.django_db


def _account(**values: str) -> ProbeAccount:
    return ProbeAccount.objects.create(**{"number": ACCOUNT, "holder": HOLDER, "note": NOTE, **values})


def _raw(model: type[models.Model], pk: uuid.UUID, column: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608 - test-only identifiers
            [model._meta.pk.get_db_prep_value(pk, connection)],
        )
        return bytes(cursor.fetchone()[0])


def _put_raw(model: type[models.Model], pk: uuid.UUID, column: str, data: bytes) -> None:
    model._base_manager.filter(pk=pk).update(**{column: Ciphertext(data)})


def test_round_trip_and_nothing_stored_in_plaintext() -> None:
    account = _account()
    loaded = ProbeAccount.objects.get(pk=account.pk)
    assert (loaded.number, loaded.holder, loaded.note) == (ACCOUNT, HOLDER, NOTE)
    stored = _raw(ProbeAccount, account.pk, "number")
    assert ACCOUNT.encode() not in stored
    assert Ciphertext(stored).key_version == keyring.current(KeyPurpose.ENCRYPT).version
    assert loaded.number_index is not None and loaded.holder_index is not None


def test_null_and_empty_values() -> None:
    account = ProbeAccount.objects.create(number="", holder=None)
    loaded = ProbeAccount.objects.get(pk=account.pk)
    assert (loaded.number, loaded.holder, loaded.note) == ("", None, "")
    assert loaded.number_index is None and loaded.holder_index is None


def test_tampered_value_fails_loudly() -> None:
    account = _account()
    stored = bytearray(_raw(ProbeAccount, account.pk, "number"))
    stored[-1] ^= 0x80
    _put_raw(ProbeAccount, account.pk, "number", bytes(stored))
    with pytest.raises(DecryptionError):
        _ = ProbeAccount.objects.get(pk=account.pk).number


def test_value_moved_to_another_row_fails() -> None:
    source, target = _account(), _account(number="6222000000000000")
    _put_raw(ProbeAccount, target.pk, "number", _raw(ProbeAccount, source.pk, "number"))
    with pytest.raises(DecryptionError):
        _ = ProbeAccount.objects.get(pk=target.pk).number


def test_value_moved_to_another_field_fails() -> None:
    account = _account()
    _put_raw(ProbeAccount, account.pk, "holder", _raw(ProbeAccount, account.pk, "number"))
    with pytest.raises(DecryptionError):
        _ = ProbeAccount.objects.get(pk=account.pk).holder


def test_value_moved_to_another_table_fails_even_with_the_same_row_key() -> None:
    account = _account()
    phone = ProbePhone.objects.create(id=account.pk, number=PHONE)
    _put_raw(ProbePhone, phone.pk, "number", _raw(ProbeAccount, account.pk, "number"))
    with pytest.raises(DecryptionError):
        _ = ProbePhone.objects.get(pk=phone.pk).number


def test_a_moved_value_is_refused_when_saved_again() -> None:
    account = _account()
    account.pk = uuid.uuid4()  # a clone that still carries the first row's ciphertext
    account._state.adding = True
    loaded_elsewhere = ProbeAccount.objects.get(pk=_account().pk)
    account.__dict__["number"] = loaded_elsewhere.__dict__["number"]
    with pytest.raises(DecryptionError):
        account.save()


def test_wrong_master_key_fails_loudly(settings: Settings) -> None:
    account = _account()
    settings.AFX_MASTER_KEY = base64.b64encode(os.urandom(32)).decode()
    keyring.reset()
    with pytest.raises(KeyringError, match="wrong master key"):
        _ = ProbeAccount.objects.get(pk=account.pk).number
    # Even when the key's label is forged to match, the key itself does not unwrap.
    keyring.reset()
    DataKey.objects.update(wrapped_by=keyring_key_id())
    with pytest.raises(KeyringError, match="wrong master key"):
        _ = ProbeAccount.objects.get(pk=account.pk).number


def keyring_key_id() -> str:
    from privacy.providers import load_provider

    return load_provider().key_id


def test_values_and_values_list_never_yield_plaintext() -> None:
    account = _account()
    row = ProbeAccount.objects.values("number", "holder").get(pk=account.pk)
    assert isinstance(row["number"], Ciphertext) and isinstance(row["holder"], Ciphertext)
    assert ACCOUNT not in repr(row) and HOLDER not in repr(row)
    flat = list(ProbeAccount.objects.values_list("note", flat=True))
    assert all(isinstance(value, Ciphertext) for value in flat)


def test_update_filter_and_bulk_update_with_plaintext_are_refused() -> None:
    account = _account()
    # Each refusal in its own savepoint: Django marks the transaction broken after a failed update.
    with pytest.raises(PlaintextWriteRefused) as error, transaction.atomic():
        ProbeAccount.objects.filter(pk=account.pk).update(number="6222000000000000")
    assert "6222000000000000" not in str(error.value)
    with pytest.raises(PlaintextWriteRefused), transaction.atomic():
        list(ProbeAccount.objects.filter(number=ACCOUNT))
    with pytest.raises(PlaintextWriteRefused), transaction.atomic():
        list(ProbeAccount.objects.filter(number_index=ACCOUNT))
    account.number = "6222000000000000"
    with pytest.raises(PlaintextWriteRefused), transaction.atomic():
        ProbeAccount.objects.bulk_update([account], ["number"])
    assert ProbeAccount.objects.get(pk=account.pk).number == ACCOUNT


def test_bulk_create_encrypts_and_indexes() -> None:
    made = ProbeAccount.objects.bulk_create([ProbeAccount(number=f"62220000000000{i:02}") for i in range(3)])
    loaded = {a.pk: a for a in ProbeAccount.objects.filter(pk__in=[a.pk for a in made])}
    assert [loaded[a.pk].number for a in made] == [f"62220000000000{i:02}" for i in range(3)]
    assert all(loaded[a.pk].number_index for a in made)


def test_saving_a_value_without_its_index_is_refused() -> None:
    account = _account()
    account.number = "6222000000000000"
    with pytest.raises(ValueError, match="number_index"):
        account.save(update_fields=["number"])
    account.save(update_fields=["number", "number_index"])
    account.label = "checked"
    account.save(update_fields=["label"])
    assert ProbeAccount.objects.get(pk=account.pk).number == "6222000000000000"


def test_deferred_field_loads_and_decrypts() -> None:
    account = _account()
    deferred = ProbeAccount.objects.defer("number").get(pk=account.pk)
    assert deferred.number == ACCOUNT


def test_saving_a_loaded_row_moves_it_to_the_current_key() -> None:
    account = _account()
    data_key_create(purpose=KeyPurpose.ENCRYPT)
    loaded = ProbeAccount.objects.get(pk=account.pk)
    loaded.save()
    stored = Ciphertext(_raw(ProbeAccount, account.pk, "number"))
    assert stored.key_version == keyring.current(KeyPurpose.ENCRYPT).version
    assert ProbeAccount.objects.get(pk=account.pk).number == ACCOUNT


def test_assigning_a_non_text_value_names_only_its_type() -> None:
    account = ProbeAccount()
    with pytest.raises(TypeError) as error:
        account.number = 6222021234567891234
    assert "6222021234567891234" not in str(error.value) and "int" in str(error.value)


def test_pickled_and_dumped_rows_hold_ciphertext_only() -> None:
    account = ProbeAccount.objects.get(pk=_account().pk)
    assert ACCOUNT.encode() not in pickle.dumps(account) and HOLDER.encode() not in pickle.dumps(account)
    dumped = serializers.serialize("json", [account])
    assert ACCOUNT not in dumped and HOLDER not in dumped
    assert json.loads(dumped)[0]["fields"]["number"].startswith("afx-sealed:")


def test_raw_saves_never_store_plaintext() -> None:
    """`loaddata` saves raw, reading attributes, so it meets the plaintext refusal."""
    account = ProbeAccount.objects.get(pk=_account().pk)
    with pytest.raises(PlaintextWriteRefused), transaction.atomic():
        account.save_base(raw=True)


def test_full_clean_keeps_the_plaintext() -> None:
    account = ProbeAccount.objects.get(pk=_account().pk)
    account.full_clean()
    account.save()
    assert ProbeAccount.objects.get(pk=account.pk).number == ACCOUNT


def test_system_checks() -> None:
    isolated = Apps(installed_apps=[])

    class IntegerKeyed(models.Model):  # noqa: DJ008
        number = EncryptedTextField(kind=Kind.ACCOUNT)

        class Meta:
            app_label = "privacy_check"
            apps = isolated

    class Misconfigured(models.Model):  # noqa: DJ008
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        number = EncryptedTextField(kind=Kind.ACCOUNT, unique=True)
        note = EncryptedTextField(kind=Kind.FREE_TEXT)
        note_index = BlindIndexField(source="note")
        other_index = BlindIndexField(source="missing")

        class Meta:
            app_label = "privacy_check"
            apps = isolated

    ids = [str(error.id) for model in (IntegerKeyed, Misconfigured) for error in model.check()]
    assert sorted(ids) == ["privacy.E001", "privacy.E002", "privacy.E003", "privacy.E003"]
    assert ProbeAccount.check() == []


def test_migrations_see_kind_and_source_as_plain_values() -> None:
    number = ProbeAccount._meta.get_field("number")
    index = ProbeAccount._meta.get_field("number_index")
    assert number.deconstruct()[3] == {"kind": "account"}
    assert index.deconstruct()[3] == {"source": "number"}
    assert type(number.deconstruct()[3]["kind"]) is str
