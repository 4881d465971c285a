"""The master key: from the environment or a file, made locally on first need, refused when missing."""

from __future__ import annotations

import base64
import logging
import os
import stat
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from privacy.errors import KeyringError
from privacy.providers import LocalKeyProvider, load_provider

CONTEXT = b"afx-data-key:encrypt:v1"


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_wrap_round_trip_bound_to_its_context() -> None:
    provider = LocalKeyProvider(os.urandom(32))
    data_key = os.urandom(32)
    wrapped = provider.wrap(data_key, context=CONTEXT)
    assert data_key not in wrapped
    assert provider.unwrap(wrapped, context=CONTEXT) == data_key
    with pytest.raises(KeyringError):
        provider.unwrap(wrapped, context=b"afx-data-key:index:v1")


def test_wrong_master_key_fails_loudly() -> None:
    wrapped = LocalKeyProvider(os.urandom(32)).wrap(os.urandom(32), context=CONTEXT)
    with pytest.raises(KeyringError, match="wrong master key"):
        LocalKeyProvider(os.urandom(32)).unwrap(wrapped, context=CONTEXT)


def test_key_from_environment_wins(settings: Settings, tmp_path: Path) -> None:
    key = os.urandom(32)
    settings.AFX_MASTER_KEY = _b64(key)
    settings.AFX_MASTER_KEY_FILE = str(tmp_path / "absent.key")
    assert load_provider().key_id == LocalKeyProvider(key).key_id
    assert not (tmp_path / "absent.key").exists()


def test_key_from_file(settings: Settings, tmp_path: Path) -> None:
    key, path = os.urandom(32), tmp_path / "master.key"
    path.write_text(_b64(key) + "\n")
    path.chmod(0o600)
    settings.AFX_MASTER_KEY, settings.AFX_MASTER_KEY_FILE = "", str(path)
    assert load_provider().key_id == LocalKeyProvider(key).key_id


def test_local_key_is_made_on_first_need_private_and_announced(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "var" / "master.key"
    settings.AFX_MASTER_KEY, settings.AFX_MASTER_KEY_FILE = "", str(path)
    settings.AFX_MASTER_KEY_AUTOCREATE = True
    provider = load_provider()
    assert not path.exists()  # starting up makes nothing
    wrapped = provider.wrap(b"k" * 32, context=CONTEXT)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in caplog.text
    assert load_provider().unwrap(wrapped, context=CONTEXT) == b"k" * 32  # the same key, read back
    assert path.read_text().strip() not in caplog.text
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]


def test_loose_key_file_permissions_are_reported(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "master.key"
    path.write_text(_b64(os.urandom(32)))
    path.chmod(0o644)
    settings.AFX_MASTER_KEY, settings.AFX_MASTER_KEY_FILE = "", str(path)
    with caplog.at_level(logging.WARNING):
        load_provider()
    assert "readable by others" in caplog.text


def test_production_refuses_to_start_without_a_master_key(settings: Settings, tmp_path: Path) -> None:
    settings.AFX_MASTER_KEY, settings.AFX_MASTER_KEY_AUTOCREATE = "", False
    settings.AFX_MASTER_KEY_FILE = str(tmp_path / "absent.key")
    with pytest.raises(ImproperlyConfigured, match="No master key"):
        apps.get_app_config("privacy").ready()
    settings.AFX_MASTER_KEY_FILE = ""
    with pytest.raises(ImproperlyConfigured, match="No master key"):
        load_provider()


@pytest.mark.parametrize("bad", ["not base64!", _b64(b"short"), _b64(os.urandom(31) + b"SECRETISH")])
def test_malformed_master_key_is_refused_without_echoing_it(settings: Settings, bad: str) -> None:
    settings.AFX_MASTER_KEY = bad
    with pytest.raises(ImproperlyConfigured) as error:
        load_provider()
    assert bad not in str(error.value) and "AFX_MASTER_KEY" in str(error.value)
