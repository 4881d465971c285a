"""The sequencer's signing key: from the environment, a key file, or made on first need locally.

The key signs tree heads only; it is not the master key of `privacy`, so that leaking or
rotating one never touches the other. Production must name it (`config.settings.production`
refuses to start otherwise); the embedded default creates `var/audit-signing.pem` with
mode 0600 the first time the sequencer needs it, and says so in the log.

During a rotation a second key may be configured (`AFX_AUDIT_SIGNING_KEY_NEXT`): which
of the two signs is decided by the stored key changes (`key_history`), never by the
settings, so a restart at any point of the rotation cannot make the sequencer sign with a
retired key or with one no key change announced.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured

from afx_sdk import signing as sdk_signing
from config.private_files import private_file_create

from . import conf
from .head_signature import generate_private_key, load_public_key_raw, private_key_to_pem, public_key_to_raw
from .key_history import KeyHistory, KeyHistoryError, SignedKeyChange, follow_key_changes
from .models import SigningKeyChange

NEXT_SETTING = "AFX_AUDIT_SIGNING_KEY_NEXT"

logger = logging.getLogger(__name__)


def signing_key() -> Ed25519PrivateKey:
    """The configured private key; raises ImproperlyConfigured when there is none."""
    return _load(conf.signing_key_setting(), conf.signing_key_file_setting(), conf.signing_key_autocreate())


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def next_signing_key() -> Ed25519PrivateKey | None:
    """The key a rotation hands over to, when `AFX_AUDIT_SIGNING_KEY_NEXT(_FILE)` names one."""
    encoded, path = conf.next_signing_key_setting(), conf.next_signing_key_file_setting()
    if not (encoded or path):
        return None
    return _load(encoded, path, False, NEXT_SETTING)


def key_from_file(path: Path) -> Ed25519PrivateKey:
    """A private key from a file an operator names (`audit_rotate_signing_key --new-key-file`)."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ImproperlyConfigured(f"Cannot read the key file {path}: {error.strerror}.") from None
    return _parse(text, str(path))


def private_key_for(public: Ed25519PublicKey) -> Ed25519PrivateKey | None:
    """The configured private key (current or next) whose public half is `public`, if any."""
    wanted = public_key_to_raw(public)
    for private in (signing_key(), next_signing_key()):
        if private is not None and public_key_to_raw(private.public_key()) == wanted:
            return private
    return None


def configured_public_keys() -> list[Ed25519PublicKey]:
    return [key.public_key() for key in (signing_key(), next_signing_key()) if key is not None]


def key_history() -> tuple[KeyHistory, KeyHistoryError | None]:
    """The stored key changes followed from the first key; the error of the first that does not follow.

    Without any change the first key is the configured one, as before rotations existed;
    with changes it is the key the first change hands over from, and the configured keys
    must be among those the chain reaches (`audit.verification` checks that).
    """
    rows = list(SigningKeyChange.objects.order_by("number"))
    if not rows:
        return KeyHistory(public_key_to_raw(public_key())), None
    signed: list[SignedKeyChange] = []
    malformed: KeyHistoryError | None = None
    for row in rows:
        try:
            signed.append(row.signed)
        except ValueError as error:
            malformed = KeyHistoryError(f"key change {row.number} is malformed: {error}")
            break
    if not signed:
        return KeyHistory(public_key_to_raw(public_key())), malformed
    history, broken = follow_key_changes(load_public_key_raw(signed[0].change.previous_key), signed)
    return history, broken or malformed


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint (16 hex digits of SHA-256 of the raw key) to tell keys apart in heads:
    the SDK's, so a key has one id everywhere (`audit.verify_export` computes it alone)."""
    return sdk_signing.key_fingerprint(key)


def load_ed25519_key(*, encoded: str, path: str, autocreate: bool, setting: str) -> Ed25519PrivateKey:
    """An Ed25519 key from a setting pair `<setting>` / `<setting>_FILE`, the file made on first
    need when `autocreate`: one loader for every key the gateway holds (this one, and the push
    signing keys of `exchange.push_key`). Both take what `afx_sdk.signing.load_private_key`
    reads: base64 or base64url of the 32-byte seed, padded or not (as the SDK prints keys),
    or a PEM."""
    return _load(encoded, path, autocreate, setting)


@functools.lru_cache(maxsize=4)
def _load(
    encoded: str, path: str, autocreate: bool, setting: str = "AFX_AUDIT_SIGNING_KEY"
) -> Ed25519PrivateKey:
    if encoded:
        return _parse(encoded, setting)
    if not path:
        raise ImproperlyConfigured(f"Set {setting} or {setting}_FILE.")
    key_file = Path(path)
    if not key_file.exists():
        if not autocreate:
            raise ImproperlyConfigured(f"The key file {key_file} of {setting}_FILE does not exist.")
        _create(key_file)
    return _parse(key_file.read_text(), f"{setting}_FILE")


def _parse(text: str, setting: str) -> Ed25519PrivateKey:
    try:
        return sdk_signing.load_private_key(text)
    except ValueError:  # its message names the formats, never the input
        raise ImproperlyConfigured(
            f"{setting} must be an Ed25519 private key: base64url or base64 of the 32-byte seed, or a PEM."
        ) from None


def _create(key_file: Path) -> None:
    """Write a new key with mode 0600, atomically; if another process won the race, keep its key."""
    if private_file_create(key_file, private_key_to_pem(generate_private_key())):
        logger.warning("Created a new signing key in %s; keep it safe and back it up.", key_file)
