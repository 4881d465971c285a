"""Where the sequencer's signing key comes from: the environment, a file, or made once locally."""

from __future__ import annotations

import base64
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from audit import signing
from audit.head_signature import private_key_to_raw
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
        ("not base64!", "", "base64 of a 32-byte"),
        (base64.b64encode(b"short").decode(), "", "base64 of a 32-byte"),
        ("", "/nonexistent/audit.pem", "does not exist"),
    ],
)
def test_missing_or_bad_keys_fail_loudly(settings, key, path, message):
    settings.AFX_AUDIT_SIGNING_KEY = key
    settings.AFX_AUDIT_SIGNING_KEY_FILE = path
    with pytest.raises(ImproperlyConfigured, match=message):
        signing.signing_key()
