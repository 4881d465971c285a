"""Key providers: whatever wraps and unwraps data keys, so models never hold a master key.

`KeyProvider` is the interface. `LocalKeyProvider` wraps with AES-256-GCM under a master key
taken from `AFX_MASTER_KEY` (base64 of 32 bytes) or the file `AFX_MASTER_KEY_FILE`. A KMS
(encrypt/decrypt with an encryption context) or Vault's transit engine (with associated
data) fits the same calls, so `AFX_KEY_PROVIDER` can name one without touching models.

A change of master key is online: the new key is `AFX_MASTER_KEY` (or its file) and the old
one `AFX_MASTER_KEY_PREVIOUS` (or `AFX_MASTER_KEY_PREVIOUS_FILE`); data keys wrapped by
either unwrap, new wraps use the new one, and `manage.py keys_rewrap` (`privacy.rewrap`)
moves every data key onto it. Then the old key is dropped from the settings.

Without a master key the gateway refuses to start (`PrivacyConfig.ready`), unless
`AFX_MASTER_KEY_AUTOCREATE` is on (the local and test settings): then the key file is made
on first need, readable by its owner only, and a log line says where.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import stat
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from config.private_files import private_file_create

from .errors import KeyringError

logger = logging.getLogger(__name__)

MASTER_KEY_SIZE = 32
_NONCE_SIZE = 12


class KeyProvider(Protocol):
    """Wraps data keys for storage and unwraps them on load.

    `context` names the data key (purpose and version); a provider must bind the wrapped key
    to it (associated data, encryption context), so a wrapped key copied onto another
    `DataKey` row fails to unwrap.
    """

    @property
    def key_id(self) -> str:
        """Names the key new wraps use (never secret), so a wrong master key is reported as such."""
        ...

    @property
    def key_ids(self) -> frozenset[str]:
        """Every key it can unwrap with: `key_id`, and the previous one during a change."""
        ...

    def wrap(self, key: bytes, *, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, *, context: bytes, key_id: str | None = None) -> bytes:
        """Unwrap with the key `key_id` names (by default `key_id`'s own)."""
        ...


class LocalKeyProvider:
    """Wraps data keys under a local 32-byte master key (environment or key file), and
    unwraps under it or, during a change of master key, the previous one."""

    def __init__(self, master_key: bytes | None = None, previous: bytes | None = None) -> None:
        if master_key is None:  # both from the settings
            master_key, previous = _configured_master_key(), _previous_master_key()
        self._master, self._previous = master_key, previous

    @property
    def key_id(self) -> str:
        return _key_id(self._master_key())

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset({self.key_id, *([_key_id(self._previous)] if self._previous else [])})

    def wrap(self, key: bytes, *, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE_SIZE)
        return nonce + AESGCM(self._master_key()).encrypt(nonce, key, context)

    def unwrap(self, wrapped: bytes, *, context: bytes, key_id: str | None = None) -> bytes:
        master = self._master_key()
        if key_id not in (None, self.key_id):
            if self._previous is None or key_id != _key_id(self._previous):
                raise KeyringError(
                    f"Data key {context.decode()} was wrapped by a master key not configured here."
                )
            master = self._previous
        try:
            return AESGCM(master).decrypt(wrapped[:_NONCE_SIZE], wrapped[_NONCE_SIZE:], context)
        except InvalidTag:
            raise KeyringError(f"Data key {context.decode()} does not unwrap: wrong master key?") from None

    def _master_key(self) -> bytes:
        if self._master is None:
            self._master = _create_master_key_file(Path(settings.AFX_MASTER_KEY_FILE))
        return self._master


def _key_id(master: bytes) -> str:
    digest = hmac.new(master, b"afx-master-key-id", hashlib.sha256).hexdigest()
    return f"local:{digest[:16]}"


def load_provider() -> KeyProvider:
    """The provider named by `AFX_KEY_PROVIDER`; raises ImproperlyConfigured if it cannot work."""
    provider_class = import_string(settings.AFX_KEY_PROVIDER)
    provider: KeyProvider = provider_class()
    return provider


def _configured_master_key() -> bytes | None:
    """The master key from the settings; None only when it may still be made on first need."""
    if settings.AFX_MASTER_KEY:
        return _decode_master_key(settings.AFX_MASTER_KEY, source="AFX_MASTER_KEY")
    path = Path(settings.AFX_MASTER_KEY_FILE) if settings.AFX_MASTER_KEY_FILE else None
    if path is not None and path.exists():
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            logger.warning("Master key file %s is readable by others than its owner; chmod 600 it.", path)
        return _decode_master_key(path.read_text(), source=str(path))
    if path is not None and settings.AFX_MASTER_KEY_AUTOCREATE:
        return None
    raise ImproperlyConfigured(
        "No master key: set AFX_MASTER_KEY (base64 of 32 random bytes) or AFX_MASTER_KEY_FILE "
        "(a file holding it). Personal data cannot be encrypted without it."
    )


def _previous_master_key() -> bytes | None:
    """The master key being replaced, during a change of master key; None otherwise."""
    encoded = settings.AFX_MASTER_KEY_PREVIOUS
    if encoded:
        return _decode_master_key(encoded, source="AFX_MASTER_KEY_PREVIOUS")
    path = settings.AFX_MASTER_KEY_PREVIOUS_FILE
    if path:
        return _decode_master_key(Path(path).read_text(), source="AFX_MASTER_KEY_PREVIOUS_FILE")
    return None


def _decode_master_key(encoded: str, *, source: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != MASTER_KEY_SIZE:
        # The message names where the key came from, never any part of it.
        raise ImproperlyConfigured(f"The master key in {source} must be base64 of exactly 32 bytes.")
    return key


def _create_master_key_file(path: Path) -> bytes:
    """Make a master key file readable by its owner only, atomically; if another process
    won the race, use its key."""
    key = os.urandom(MASTER_KEY_SIZE)
    if not private_file_create(path, base64.b64encode(key) + b"\n"):
        return _decode_master_key(path.read_text(), source=str(path))
    logger.warning(
        "Created a new local master key at %s. Back it up: without it the encrypted data cannot be read.",
        path,
    )
    return key
