"""The keyring: data keys unwrapped once per process, and which version is current.

Unwrapping goes through the key provider (possibly a remote KMS), so unwrapped keys are
cached for the life of the process. Which versions are active is re-read from the database
at most every `AFX_KEYRING_REFRESH_SECONDS` (default 5), so a version added or retired by
`keys_rotate` in another process is picked up quickly without a query per value; the
rotation waits that long before its final check, so no process still encrypts under an
old version when it is retired.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from .choices import KeyPurpose, KeyState
from .errors import DecryptionError, KeyringError
from .models import DataKey
from .providers import KeyProvider, load_provider

DATA_KEY_SIZE = 32


@dataclass(frozen=True)
class DataKeyVersion:
    """An unwrapped data key; its repr never shows the key."""

    purpose: str
    version: int
    secret: bytes = field(repr=False)
    aead: AESGCM = field(repr=False, compare=False)


def refresh_seconds() -> float:
    return float(getattr(settings, "AFX_KEYRING_REFRESH_SECONDS", 5))


class Keyring:
    """Active data keys per purpose, newest first. One instance per process: `keyring`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next use reloads keys (and the provider) from scratch."""
        self._provider: KeyProvider | None = None
        self._unwrapped: dict[tuple[str, int, bytes], DataKeyVersion] = {}
        self._active: dict[str, list[DataKeyVersion]] = {}
        self._fresh_until = float("-inf")

    def current(self, purpose: str) -> DataKeyVersion:
        """The version that encrypts (or indexes) new values."""
        active = self.active(purpose)
        if not active:
            raise KeyringError(f"No active {purpose} data key: run `manage.py migrate` to create the first.")
        return active[0]

    def active(self, purpose: str) -> list[DataKeyVersion]:
        """Every usable version, newest first: lookups must try them all during a rotation."""
        self._refresh(force=False)
        return self._active.get(purpose, [])

    def get(self, purpose: str, version: int) -> DataKeyVersion:
        """A given version, to decrypt a value sealed under it; unknown or retired ones raise."""
        for forced in (False, True):
            self._refresh(force=forced)
            for candidate in self._active.get(purpose, []):
                if candidate.version == version:
                    return candidate
        raise DecryptionError(f"No active {purpose} data key v{version}: it is retired or unknown here.")

    def _refresh(self, *, force: bool) -> None:
        # Checked without the lock: this runs for every value encrypted or decrypted.
        if not force and time.monotonic() < self._fresh_until:
            return
        with self._lock:
            if not force and time.monotonic() < self._fresh_until:
                return  # another thread refreshed while this one waited for the lock
            if self._provider is None:
                self._provider = load_provider()
            active: dict[str, list[DataKeyVersion]] = {}
            for key in DataKey.objects.filter(state=KeyState.ACTIVE).order_by("-version"):
                active.setdefault(key.purpose, []).append(self._unwrap(self._provider, key))
            self._active = active
            self._fresh_until = time.monotonic() + refresh_seconds()

    def _unwrap(self, provider: KeyProvider, key: DataKey) -> DataKeyVersion:
        wrapped = bytes(key.wrapped_key)
        cache_key = (key.purpose, key.version, wrapped)
        if cache_key not in self._unwrapped:
            if key.wrapped_by not in provider.key_ids:
                raise KeyringError(
                    f"Data key {key.purpose} v{key.version} was wrapped by {key.wrapped_by}, "
                    f"but the configured key is {provider.key_id}: wrong master key?"
                )
            secret = provider.unwrap(wrapped, context=key.wrap_context, key_id=key.wrapped_by)
            self._unwrapped[cache_key] = DataKeyVersion(key.purpose, key.version, secret, AESGCM(secret))
        return self._unwrapped[cache_key]


keyring = Keyring()


def data_key_create(*, purpose: str, using: str = "default") -> DataKey:
    """Add the next version of a data key; it becomes current for its purpose at once."""
    provider = load_provider()
    with transaction.atomic(using=using):
        latest = DataKey.objects.using(using).filter(purpose=purpose).aggregate(v=Max("version"))["v"]
        key = DataKey(purpose=purpose, version=(latest or 0) + 1, wrapped_by=provider.key_id)
        key.wrapped_key = provider.wrap(os.urandom(DATA_KEY_SIZE), context=key.wrap_context)
        key.save(using=using)
    keyring.reset()
    return key


def data_keys_ensure(*, using: str = "default") -> list[DataKey]:
    """Create the first version of each purpose that has no active key yet (after `migrate`)."""
    active = set(DataKey.objects.using(using).filter(state=KeyState.ACTIVE).values_list("purpose", flat=True))
    return [data_key_create(purpose=p, using=using) for p in KeyPurpose.values if p not in active]
