"""Signing-key changes: the old key hands the log over to a new one, in a statement both sign.

Heads are signed by one key at a time. To retire a key without losing what it signed, the
sequencer's operator publishes a key change (`manage.py audit_rotate_signing_key`): the new
public key and the last head the old key signed, signed by the old key (who hands over)
and by the new one (who proves it holds the private half, so nobody can announce a key
they do not hold, or claim a key that is not theirs as the next one). Heads numbered up to
that head stay under the old key; later heads are signed by the new key. Anyone holding
only the first public key can then follow the chain of changes to the key of every head.

Canonical bytes of a key change (the exact message both keys sign, always 145 bytes)::

    offset  size  field
    0       17    b"AFX-KEY-CHANGE-v1"  ASCII domain and version prefix
    17      8     number                unsigned, big-endian, 1 for the first change
    25      32    previous_key          raw Ed25519 public key that hands over
    57      32    new_key               raw Ed25519 public key that signs from now on
    89      8     head_number           the last head the previous key signed (0: none)
    97      8     tree_size             that head's tree size
    105     32    root_hash             that head's root (the empty-tree root for none)
    137     8     timestamp_ms          when the change was made, ms since the Unix epoch

The prefix keeps a key-change signature from passing for a head's (b"AFX-STH-v1") or a
link's (b"AFX-STH-LINK-v1"). Pure (no Django), for the outside verifier.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .head_signature import (
    SIGNATURE_SIZE,
    HeadFormatError,
    HeadSignatureError,
    TreeHead,
    base64_field,
    int_field,
    load_public_key_pem,
    load_public_key_raw,
    public_key_to_pem,
    public_key_to_raw,
)
from .merkle import EMPTY_ROOT, HASH_SIZE

__all__ = [
    "KEY_CHANGE_FORMAT",
    "KeyChange",
    "KeyHistory",
    "KeyHistoryError",
    "SignedKeyChange",
    "follow_key_changes",
    "key_change_from_json",
    "key_change_to_json",
    "key_fingerprint",
    "sign_key_change",
    "verify_key_change",
]

KEY_CHANGE_FORMAT = b"AFX-KEY-CHANGE-v1"
_FIELDS = struct.Struct(">Q32s32sQQ32sQ")
_UINT64_MAX = 2**64 - 1
_JSON_KEYS = frozenset(
    {
        "format",
        "number",
        "previous_public_key",
        "previous_key_id",
        "public_key",
        "key_id",
        "head_number",
        "tree_size",
        "root_hash",
        "timestamp_ms",
        "signature",
        "new_key_signature",
    }
)


class KeyHistoryError(ValueError):
    """A key change does not follow from the one before it: forged, altered or out of place."""


def key_fingerprint(raw_key: bytes) -> str:
    """The key id AFX shows beside a key: 16 hex digits of SHA-256 of the raw key (as the SDK's)."""
    return hashlib.sha256(raw_key).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class KeyChange:
    """What a key change commits to; checked when built, so one that cannot be encoded is never signed."""

    number: int
    previous_key: bytes
    new_key: bytes
    head_number: int
    tree_size: int
    root_hash: bytes
    timestamp_ms: int

    def __post_init__(self) -> None:
        for name in ("number", "head_number", "tree_size", "timestamp_ms"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= _UINT64_MAX:
                raise ValueError(f"{name} must be an int in [0, 2**64), got {value!r}")
        if self.number < 1:
            raise ValueError("key changes are numbered from 1")
        for name in ("previous_key", "new_key", "root_hash"):
            value = getattr(self, name)
            if type(value) is not bytes or len(value) != HASH_SIZE:
                raise ValueError(f"{name} must be {HASH_SIZE} bytes")
        if self.previous_key == self.new_key:
            raise ValueError("a key change must name a new key")
        if self.head_number == 0 and (self.tree_size != 0 or self.root_hash != EMPTY_ROOT):
            raise ValueError("a key change before any head names the empty tree")

    def canonical_bytes(self) -> bytes:
        """Return the signed message; the layout is in the module docstring."""
        return KEY_CHANGE_FORMAT + _FIELDS.pack(
            self.number,
            self.previous_key,
            self.new_key,
            self.head_number,
            self.tree_size,
            self.root_hash,
            self.timestamp_ms,
        )

    def binds(self, head: TreeHead) -> bool:
        """Whether `head` is the head this change names as the previous key's last."""
        return head.tree_size == self.tree_size and head.root_hash == self.root_hash

    @property
    def key_id(self) -> str:
        return key_fingerprint(self.new_key)

    @property
    def previous_key_id(self) -> str:
        return key_fingerprint(self.previous_key)


@dataclass(frozen=True, slots=True)
class SignedKeyChange:
    """A key change with the previous key's signature (the hand-over) and the new key's (possession)."""

    change: KeyChange
    signature: bytes
    new_key_signature: bytes


def sign_key_change(
    previous_private: Ed25519PrivateKey, new_private: Ed25519PrivateKey, change: KeyChange
) -> SignedKeyChange:
    """Both signatures over the change; refuses keys that are not the ones the change names."""
    if public_key_to_raw(previous_private.public_key()) != change.previous_key:
        raise ValueError("the signing key is not the change's previous key")
    if public_key_to_raw(new_private.public_key()) != change.new_key:
        raise ValueError("the new private key is not the change's new key")
    message = change.canonical_bytes()
    return SignedKeyChange(change, previous_private.sign(message), new_private.sign(message))


def verify_key_change(signed: SignedKeyChange) -> None:
    """Return None if both keys the change names signed it, else raise HeadSignatureError."""
    change, message = signed.change, signed.change.canonical_bytes()
    checks = (
        (change.previous_key, signed.signature, f"is not signed by the key {change.previous_key_id}"),
        (
            change.new_key,
            signed.new_key_signature,
            f"is not signed by its new key {change.key_id} (no proof of possession)",
        ),
    )
    for raw_key, signature, failure in checks:
        try:
            load_public_key_raw(raw_key).verify(signature, message)
        except InvalidSignature:
            raise HeadSignatureError(f"key change {change.number} {failure}") from None


@dataclass(frozen=True)
class KeyHistory:
    """The first key and the verified changes after it: which key signs which head."""

    first_key: bytes
    changes: tuple[KeyChange, ...] = ()

    @property
    def keys(self) -> list[bytes]:
        return [self.first_key, *(change.new_key for change in self.changes)]

    @property
    def current(self) -> Ed25519PublicKey:
        """The key in force now: the one the next head is signed by."""
        return load_public_key_raw(self.keys[-1])

    def key_for_head(self, number: int) -> Ed25519PublicKey:
        """The key head `number` must be signed by: the last one announced before it."""
        key = self.first_key
        for change in self.changes:
            if change.head_number >= number:
                break
            key = change.new_key
        return load_public_key_raw(key)


def follow_key_changes(
    first_key: Ed25519PublicKey, signed_changes: Iterable[SignedKeyChange]
) -> tuple[KeyHistory, KeyHistoryError | None]:
    """Follow the changes from `first_key`; the history up to the first bad change, and its error.

    A change counts only if it is the next by number, hands over from the key in force,
    names a key never used before (a retired key may have leaked, so it never signs again),
    does not go back to an earlier head, and both keys signed it.
    """
    history = KeyHistory(public_key_to_raw(first_key))
    for signed in signed_changes:
        try:
            _check_follows(history, signed)
        except ValueError as error:
            return history, KeyHistoryError(str(error))
        history = KeyHistory(history.first_key, (*history.changes, signed.change))
    return history, None


def _check_follows(history: KeyHistory, signed: SignedKeyChange) -> None:
    change = signed.change
    expected = len(history.changes) + 1
    if change.number != expected:
        raise KeyHistoryError(f"key change {expected} is missing (found number {change.number})")
    in_force = history.keys[-1]
    if change.previous_key != in_force:
        raise KeyHistoryError(
            f"key change {change.number} hands over from key {change.previous_key_id}, "
            f"but the key in force is {key_fingerprint(in_force)}"
        )
    if change.new_key in history.keys:
        raise KeyHistoryError(f"key change {change.number} brings back key {change.key_id}, used before")
    if history.changes and change.head_number < history.changes[-1].head_number:
        raise KeyHistoryError(f"key change {change.number} goes back to head {change.head_number}")
    verify_key_change(signed)


def key_change_to_json(signed: SignedKeyChange) -> dict[str, str | int]:
    """A signed key change as a JSON-able dict: keys in PEM, hashes and signatures in base64."""
    change = signed.change
    return {
        "format": KEY_CHANGE_FORMAT.decode("ascii"),
        "number": change.number,
        "previous_public_key": _pem(change.previous_key),
        "previous_key_id": change.previous_key_id,
        "public_key": _pem(change.new_key),
        "key_id": change.key_id,
        "head_number": change.head_number,
        "tree_size": change.tree_size,
        "root_hash": _b64(change.root_hash),
        "timestamp_ms": change.timestamp_ms,
        "signature": _b64(signed.signature),
        "new_key_signature": _b64(signed.new_key_signature),
    }


def key_change_from_json(data: Mapping[str, object]) -> SignedKeyChange:
    """Parse what `key_change_to_json` wrote, strictly, without checking the signatures.

    The key ids are not signed (they follow from the keys), so they must be the keys'
    fingerprints: an export that shows one id and carries another key is refused.
    """
    if not isinstance(data, Mapping) or set(data) != _JSON_KEYS:
        keys = sorted(data) if isinstance(data, Mapping) else type(data).__name__
        raise HeadFormatError(f"a key change needs keys {sorted(_JSON_KEYS)}, got {keys}")
    if data["format"] != KEY_CHANGE_FORMAT.decode("ascii"):
        raise HeadFormatError(f"unsupported key change format {data['format']!r}")
    try:
        previous_key = _raw_from_pem(data["previous_public_key"])
        new_key = _raw_from_pem(data["public_key"])
        change = KeyChange(
            number=int_field(data, "number"),
            previous_key=previous_key,
            new_key=new_key,
            head_number=int_field(data, "head_number"),
            tree_size=int_field(data, "tree_size"),
            root_hash=base64_field(data, "root_hash"),
            timestamp_ms=int_field(data, "timestamp_ms"),
        )
    except ValueError as error:
        raise HeadFormatError(f"key change {data.get('number')}: {error}") from None
    if data["previous_key_id"] != change.previous_key_id or data["key_id"] != change.key_id:
        raise HeadFormatError(f"key change {change.number}: a key id is not its key's fingerprint")
    signatures = [base64_field(data, name) for name in ("signature", "new_key_signature")]
    if any(len(signature) != SIGNATURE_SIZE for signature in signatures):
        raise HeadFormatError(f"key change {change.number}: signatures are {SIGNATURE_SIZE} bytes")
    return SignedKeyChange(change, *signatures)


def _pem(raw_key: bytes) -> str:
    return public_key_to_pem(load_public_key_raw(raw_key)).decode("ascii")


def _raw_from_pem(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("a public key must be a PEM string")
    return public_key_to_raw(load_public_key_pem(value.encode()))


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")
