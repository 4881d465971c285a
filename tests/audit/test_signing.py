"""Where the sequencer's signing key comes from: the environment, a file, or made once locally."""

from __future__ import annotations

import base64
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from afx_sdk import signing as sdk_signing
from audit import signing
from audit.head_signature import private_key_to_pem, private_key_to_raw
from audit.verify_export import fingerprint
from tests.audit.conftest import TEST_SEED


def test_key_from_the_setting():
    assert private_key_to_raw(signing.signing_key()) == TEST_SEED
    assert len(signing.key_id(signing.public_key())) == 16


def test_autocreated_key_file_is_private_and_kept(settings, tmp_path):
    path = tmp_path / "var" / "audit-signing.pem"
    settings.AFX_AUDIT_SIGNING_KEY = ""
    settings.AFX_AUDIT_SIGNING_KEY_FILE = str(path)
    settings.AFX_AUDIT_SIGNING_KEY_AUTOCREATE = True
    first = private_key_to_raw(signing.signing_key())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    signing._load.cache_clear()
    assert private_key_to_raw(signing.signing_key()) == first
    assert [p.name for p in path.parent.iterdir()] == ["audit-signing.pem"]


@pytest.mark.parametrize(
    ("key", "path", "message"),
    [
        ("", "", "Set AFX_AUDIT_SIGNING_KEY"),
        ("not base64!", "", "base64 of the 32-byte seed"),
        (base64.b64encode(b"short").decode(), "", "base64 of the 32-byte seed"),
        ("", "/nonexistent/audit.pem", "does not exist"),
    ],
)
def test_missing_or_bad_keys_fail_loudly(settings, key, path, message):
    settings.AFX_AUDIT_SIGNING_KEY = key
    settings.AFX_AUDIT_SIGNING_KEY_FILE = path
    with pytest.raises(ImproperlyConfigured, match=message):
        signing.signing_key()


@pytest.mark.parametrize(
    "spelling",
    [
        lambda key: sdk_signing.private_key_text(key),  # as the SDK prints it: base64url, unpadded
        lambda key: base64.b64encode(private_key_to_raw(key)).decode(),
        lambda key: base64.b64encode(private_key_to_raw(key)).decode().rstrip("="),
        lambda key: private_key_to_pem(key).decode(),
    ],
    ids=["sdk base64url", "base64", "unpadded base64", "pem"],
)
def test_every_spelling_of_a_key_is_read_by_the_one_parser(settings, spelling):
    key = sdk_signing.generate_private_key()
    settings.AFX_AUDIT_SIGNING_KEY = spelling(key)
    assert private_key_to_raw(signing.signing_key()) == private_key_to_raw(key)


def test_a_key_has_one_id_everywhere():
    key = sdk_signing.generate_private_key().public_key()
    assert signing.key_id(key) == sdk_signing.key_fingerprint(key) == fingerprint(key)
