"""Nothing leaks: no plaintext in logs (SQL included), reprs, error messages or tracebacks."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import pytest
from django.db import connection

from privacy.choices import KeyPurpose
from privacy.envelope import Ciphertext
from privacy.errors import DecryptionError
from privacy.rotation import key_versions_add, rows_reencrypt
from privacy.selectors import blind_index_filter
from tests.privacy.conftest import ACCOUNT, HOLDER, NOTE, PHONE
from tests.privacy.probe import ProbeAccount, ProbePhone

pytestmark = pytest.mark.django_db
SECRETS = (ACCOUNT, HOLDER, NOTE, PHONE)


def _clean(text: str) -> None:
    leaked = [value for value in SECRETS if value in text]
    assert not leaked, f"plaintext leaked: {len(leaked)} value(s)"


@pytest.fixture
def sql_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every SQL statement with its parameters, as DEBUG logging of django.db.backends would show."""
    connection.force_debug_cursor = True
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = False


def test_a_whole_life_cycle_logs_no_plaintext(sql_logged: pytest.LogCaptureFixture, settings: object) -> None:
    settings.AFX_KEYRING_REFRESH_SECONDS = 0  # type: ignore[attr-defined]
    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER, note=NOTE)
    ProbePhone.objects.create(number=PHONE)
    assert (
        ProbeAccount.objects.filter(blind_index_filter(ProbeAccount, "number", ACCOUNT)).get().holder
        == HOLDER
    )
    assert ProbePhone.objects.filter(blind_index_filter(ProbePhone, "number", PHONE)).exists()
    loaded = ProbeAccount.objects.get(pk=account.pk)
    loaded.note = NOTE
    loaded.save()
    key_versions_add(purposes=KeyPurpose.values)
    rows_reencrypt(in_models=[ProbeAccount, ProbePhone], batch_size=1)
    assert "SELECT" in sql_logged.text and "UPDATE" in sql_logged.text  # the SQL log really was on
    _clean(sql_logged.text)
    _clean(repr(ProbeAccount.objects.all()) + repr(loaded) + repr(list(ProbeAccount.objects.values())))


def test_decryption_errors_and_their_tracebacks_hold_no_values() -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    stored = ProbeAccount.objects.values_list("number", flat=True).get(pk=account.pk)
    ProbeAccount.objects.filter(pk=account.pk).update(holder=stored)  # the number, moved to another field
    with pytest.raises(DecryptionError) as error:
        _ = ProbeAccount.objects.get(pk=account.pk).holder
    text = "".join(traceback.format_exception(error.value))
    _clean(text)
    assert isinstance(stored, Ciphertext) and stored.data.hex() not in text and str(stored.data) not in text
    assert "ProbeAccount.holder" in str(error.value) and str(account.pk) in str(error.value)
