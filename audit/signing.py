"""The sequencer's signing key: from the environment, a key file, or made on first need locally.

The key signs tree heads only; it is not the master key of `privacy`, so that leaking or
rotating one never touches the other. Production must name it (`config.settings.production`
refuses to start otherwise); the embedded default creates `var/audit-signing.pem` with
mode 0600 the first time the sequencer needs it, and says so in the log.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured

from . import conf
from .head_signature import (
    generate_private_key,
    load_private_key_pem,
    load_private_key_raw,
    private_key_to_pem,
    public_key_to_raw,
)

logger = logging.getLogger(__name__)


def signing_key() -> Ed25519PrivateKey:
    """The configured private key; raises ImproperlyConfigured when there is none."""
    return _load(conf.signing_key_setting(), conf.signing_key_file_setting(), conf.signing_key_autocreate())


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint (16 hex digits of SHA-256 of the raw key) to tell keys apart in heads."""
    return hashlib.sha256(public_key_to_raw(key)).hexdigest()[:16]


@functools.lru_cache(maxsize=4)
def _load(encoded: str, path: str, autocreate: bool) -> Ed25519PrivateKey:
    if encoded:
        try:
            return load_private_key_raw(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(
                "AFX_AUDIT_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed."
            ) from None
    if not path:
        raise ImproperlyConfigured("Set AFX_AUDIT_SIGNING_KEY or AFX_AUDIT_SIGNING_KEY_FILE.")
    key_file = Path(path)
    if not key_file.exists():
        if not autocreate:
            raise ImproperlyConfigured(f"The audit signing key file {key_file} does not exist.")
        _create(key_file)
    return load_private_key_pem(key_file.read_bytes())


def _create(key_file: Path) -> None:
    """Write a new key with mode 0600; if another process won the race, keep its key.

    The key is written in full to a private temporary file and then hard-linked into place,
    so no process ever reads a half-written key file.
    """
    key_file.parent.mkdir(parents=True, exist_ok=True)
    draft = key_file.with_name(f".{key_file.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_to_pem(generate_private_key()))
    try:
        os.link(draft, key_file)
        logger.warning("Created a new audit signing key in %s; keep it safe and back it up.", key_file)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
