"""A change of master key, online: data keys wrapped by the old or the new key both unwrap
while `keys_rewrap` moves them, one audited transaction each, resumable; afterwards the old
key can go and every value still decrypts and is still found by its blind index."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from audit.models import AuditEvent
from privacy.keyring import keyring
from privacy.models import DataKey
from privacy.providers import LocalKeyProvider, load_provider
from privacy.rewrap import data_keys_pending, data_keys_rewrap
from privacy.selectors import blind_index_filter
from privacy.signals import key_custody_changed
from tests.privacy.conftest import ACCOUNT, HOLDER
from tests.privacy.probe import ProbeAccount

pytestmark = pytest.mark.django_db


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _old_master(settings: Settings) -> str:
    return settings.AFX_MASTER_KEY or Path(settings.AFX_MASTER_KEY_FILE).read_text().strip()


@pytest.fixture
def stored() -> ProbeAccount:
    return ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER, note="a note")


def _change_master(settings: Settings, *, keep_previous: bool = True) -> tuple[str, str]:
    old, new = _old_master(settings), _b64(os.urandom(32))
    settings.AFX_MASTER_KEY = new
    settings.AFX_MASTER_KEY_PREVIOUS = old if keep_previous else ""
    keyring.reset()
    return old, new


def _reads(pk: Any) -> None:
    again = ProbeAccount.objects.get(pk=pk)
    assert (again.number, again.holder, again.note) == (ACCOUNT, HOLDER, "a note")
    assert list(ProbeAccount.objects.filter(blind_index_filter(ProbeAccount, "number", ACCOUNT))) == [again]


def test_the_master_key_changes_online_and_the_old_one_can_then_go(
    settings: Settings, stored: ProbeAccount
) -> None:
    old_id = load_provider().key_id
    keys = DataKey.objects.count()
    assert keys >= 2 and not DataKey.objects.exclude(wrapped_by=old_id).exists()
    old, _ = _change_master(settings)
    new_id = load_provider().key_id
    assert new_id != old_id and load_provider().key_ids == {old_id, new_id}
    _reads(stored.pk)  # before the re-wrap: the old key still unwraps
    written = ProbeAccount.objects.create(number="6222029999000011112", holder="李四")  # and new values go in
    assert data_keys_pending() == keys

    result = data_keys_rewrap()
    assert (result.rewrapped, result.already) == (keys, 0)
    assert set(DataKey.objects.values_list("wrapped_by", flat=True)) == {new_id}
    events = AuditEvent.objects.filter(action="data_key_rewrapped")
    assert events.count() == keys
    event = events.first()
    assert event is not None and (event.actor_type, event.actor_id) == ("system", "system:keys_rewrap")
    assert set(event.details) == {"purpose", "version", "from", "to"}
    assert (event.details["from"], event.details["to"]) == (old_id, new_id)
    for key in DataKey.objects.all():  # no key material in the record
        assert bytes(key.wrapped_key).hex() not in str(event.details)

    settings.AFX_MASTER_KEY_PREVIOUS = ""  # the old master key is gone
    keyring.reset()
    _reads(stored.pk)
    assert ProbeAccount.objects.get(pk=written.pk).holder == "李四"
    assert data_keys_rewrap().rewrapped == 0  # nothing left to move
    settings.AFX_MASTER_KEY = old  # and the old key alone no longer opens anything
    keyring.reset()
    with pytest.raises(Exception, match="wrong master key"):
        ProbeAccount.objects.get(pk=stored.pk).number  # noqa: B018


def test_a_rewrap_cut_short_is_finished_by_running_it_again(
    settings: Settings, stored: ProbeAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = DataKey.objects.count()
    _change_master(settings)
    calls = []

    def crash_on_second(**kwargs: Any) -> None:
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("the machine went down")

    key_custody_changed.connect(crash_on_second, dispatch_uid="test.crash")
    try:
        with pytest.raises(RuntimeError):
            data_keys_rewrap()
    finally:
        key_custody_changed.disconnect(dispatch_uid="test.crash")
    assert data_keys_pending() == keys - 1  # the first one moved, the second rolled back
    _reads(stored.pk)  # half moved: both master keys serve
    result = data_keys_rewrap()
    assert (result.rewrapped, result.already) == (keys - 1, 1)
    assert AuditEvent.objects.filter(action="data_key_rewrapped").count() == keys


def test_without_the_previous_key_nothing_moves_and_the_command_says_why(
    settings: Settings, stored: ProbeAccount
) -> None:
    _change_master(settings, keep_previous=False)
    with pytest.raises(CommandError, match="AFX_MASTER_KEY_PREVIOUS"):
        call_command("keys_rewrap")
    assert data_keys_pending() == DataKey.objects.count()
    with pytest.raises(CommandError, match="not under the configured master key"):
        call_command("keys_rewrap", "--check")


def test_the_previous_key_from_a_file_and_the_command(
    settings: Settings, stored: ProbeAccount, tmp_path: Path
) -> None:
    old, _ = _change_master(settings, keep_previous=False)
    previous = tmp_path / "previous.key"
    previous.write_text(old + "\n")
    settings.AFX_MASTER_KEY_PREVIOUS_FILE = str(previous)
    keyring.reset()
    call_command("keys_rewrap", verbosity=0)
    call_command("keys_rewrap", "--check", verbosity=0)
    settings.AFX_MASTER_KEY_PREVIOUS_FILE = ""
    keyring.reset()
    _reads(stored.pk)


def test_a_provider_refuses_a_key_id_it_does_not_hold() -> None:
    old, new = os.urandom(32), os.urandom(32)
    context = b"afx-data-key:encrypt:v1"
    wrapped = LocalKeyProvider(old).wrap(b"k" * 32, context=context)
    during = LocalKeyProvider(new, previous=old)
    assert during.unwrap(wrapped, context=context, key_id=LocalKeyProvider(old).key_id) == b"k" * 32
    with pytest.raises(Exception, match="not configured here"):
        LocalKeyProvider(new).unwrap(wrapped, context=context, key_id=LocalKeyProvider(old).key_id)
