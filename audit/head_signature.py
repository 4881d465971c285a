"""Signed tree heads (STHs) for the audit log: Ed25519 signatures over a fixed byte layout.

A tree head commits to the whole log at one moment: how many events it has, the Merkle
root over them (see `audit.merkle`) and when that was published. The sequencer signs each
head. Anyone with the public key can then check an exported head and use it as the trust
anchor for inclusion and consistency proofs. This module is pure (no Django, no clock,
no key storage) so an outside verifier can use it without our stack.

Canonical bytes of a head (the exact message that is signed, always 58 bytes)::

    offset  size  field
    0       10    b"AFX-STH-v1"   ASCII domain and version prefix
    10      8     tree_size       unsigned, big-endian
    18      8     timestamp_ms    unsigned, big-endian, milliseconds since the Unix epoch
    26      32    root_hash       SHA-256 Merkle root (RFC 6962)

Every field has a fixed width, so two different heads never have the same bytes. The
prefix means a signature over a head cannot be passed off as a signature over any other
message this key might sign. A new layout would get a new prefix.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.merkle import EMPTY_ROOT, HASH_SIZE

__all__ = [
    "HEAD_FORMAT",
    "SIGNATURE_SIZE",
    "HeadFormatError",
    "HeadSignatureError",
    "TreeHead",
    "generate_private_key",
    "head_from_json",
    "head_to_json",
    "load_public_key_pem",
    "load_public_key_raw",
    "private_key_to_pem",
    "private_key_to_raw",
    "public_key_to_pem",
    "public_key_to_raw",
    "sign_head",
    "verify_exported_head",
    "verify_head",
]

HEAD_FORMAT = b"AFX-STH-v1"
SIGNATURE_SIZE = 64
_SIZE_AND_TIMESTAMP = struct.Struct(">QQ")
_UINT64_MAX = 2**64 - 1
_JSON_KEYS = frozenset({"format", "tree_size", "timestamp_ms", "root_hash", "signature"})


class HeadSignatureError(ValueError):
    """The signature does not match the head under this public key: forged or altered."""


class HeadFormatError(ValueError):
    """An exported head is malformed. It was rejected before any signature check."""


@dataclass(frozen=True, slots=True)
class TreeHead:
    """What a signed tree head commits to.

    Values are checked when the head is built, so a head that cannot be encoded never
    gets as far as signing.
    """

    tree_size: int
    root_hash: bytes
    timestamp_ms: int

    def __post_init__(self) -> None:
        for name in ("tree_size", "timestamp_ms"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= _UINT64_MAX:
                raise ValueError(f"{name} must be an int in [0, 2**64), got {value!r}")
        if type(self.root_hash) is not bytes or len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"root_hash must be {HASH_SIZE} bytes")
        if self.tree_size == 0 and self.root_hash != EMPTY_ROOT:
            raise ValueError("a head of size 0 must carry the empty-tree root")

    def canonical_bytes(self) -> bytes:
        """Return the signed message; the layout is in the module docstring."""
        return HEAD_FORMAT + _SIZE_AND_TIMESTAMP.pack(self.tree_size, self.timestamp_ms) + self.root_hash


def sign_head(private_key: Ed25519PrivateKey, head: TreeHead) -> bytes:
    """Sign the head's canonical bytes and return the 64-byte Ed25519 signature.

    Ed25519 is deterministic, so signing the same head twice gives the same bytes. A
    retried publish therefore cannot produce two different signatures for one head.
    """
    return private_key.sign(head.canonical_bytes())


def verify_head(public_key: Ed25519PublicKey, head: TreeHead, signature: bytes) -> None:
    """Return None if `signature` signs `head` under `public_key`, else raise HeadSignatureError."""
    if len(signature) != SIGNATURE_SIZE:
        raise HeadSignatureError(f"Ed25519 signatures are {SIGNATURE_SIZE} bytes, got {len(signature)}")
    try:
        public_key.verify(signature, head.canonical_bytes())
    except InvalidSignature:
        raise HeadSignatureError(
            f"signature does not match tree head of size {head.tree_size} under this key"
        ) from None


def head_to_json(head: TreeHead, signature: bytes) -> dict[str, str | int]:
    """Export a signed head as a JSON-able dict; hashes and signature in padded standard base64.

    The integers stay JSON numbers. A log would need 2**53 events before JavaScript
    readers lost precision.
    """
    return {
        "format": HEAD_FORMAT.decode("ascii"),
        "tree_size": head.tree_size,
        "timestamp_ms": head.timestamp_ms,
        "root_hash": base64.b64encode(head.root_hash).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def head_from_json(data: Mapping[str, object]) -> tuple[TreeHead, bytes]:
    """Parse what `head_to_json` wrote, without checking the signature (see `verify_exported_head`).

    Parsing is strict: exact keys, real ints (not bools or strings), canonical base64. Each
    head then has exactly one accepted encoding, and anything odd raises HeadFormatError.
    """
    if set(data) != _JSON_KEYS:
        raise HeadFormatError(f"expected keys {sorted(_JSON_KEYS)}, got {sorted(data)}")
    if data["format"] != HEAD_FORMAT.decode("ascii"):
        raise HeadFormatError(f"unsupported tree head format {data['format']!r}")
    signature = base64_field(data, "signature")
    if len(signature) != SIGNATURE_SIZE:
        raise HeadFormatError(f"signature must be {SIGNATURE_SIZE} bytes, got {len(signature)}")
    try:
        head = TreeHead(
            tree_size=int_field(data, "tree_size"),
            root_hash=base64_field(data, "root_hash"),
            timestamp_ms=int_field(data, "timestamp_ms"),
        )
    except ValueError as exc:
        raise HeadFormatError(str(exc)) from None
    return head, signature


def verify_exported_head(public_key: Ed25519PublicKey, data: Mapping[str, object]) -> TreeHead:
    """Parse an exported head and check its signature. Return the head only if both succeed.

    This is the one call an outside auditor needs: with only our public key, it turns
    untrusted JSON into a head whose root they can check proofs against.
    """
    head, signature = head_from_json(data)
    verify_head(public_key, head, signature)
    return head


def int_field(data: Mapping[str, object], key: str) -> int:
    value = data[key]
    if type(value) is not int:
        raise HeadFormatError(f"{key} must be a JSON integer, got {type(value).__name__}")
    return value


def base64_field(data: Mapping[str, object], key: str) -> bytes:
    """Decode padded standard base64, refusing any encoding that is not canonical."""
    value = data[key]
    if not isinstance(value, str):
        raise HeadFormatError(f"{key} must be a base64 string")
    try:
        decoded = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise HeadFormatError(f"{key} is not valid base64") from None
    if base64.b64encode(decoded).decode("ascii") != value:
        raise HeadFormatError(f"{key} is not canonical base64")
    return decoded


def generate_private_key() -> Ed25519PrivateKey:
    """Create a new signing key for the sequencer."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(private_key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    """Encode as PKCS#8 PEM, encrypted with the best available cipher when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def private_key_to_raw(private_key: Ed25519PrivateKey) -> bytes:
    """Return the 32-byte Ed25519 seed (RFC 8032), compact enough for a secret store entry."""
    return private_key.private_bytes_raw()


def public_key_to_pem(public_key: Ed25519PublicKey) -> bytes:
    """Encode as SubjectPublicKeyInfo PEM, the form outside auditors are given."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key_pem(data: bytes) -> Ed25519PublicKey:
    """Load a SubjectPublicKeyInfo PEM public key. Raise ValueError if it is not Ed25519."""
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key


def public_key_to_raw(public_key: Ed25519PublicKey) -> bytes:
    """Return the 32-byte Ed25519 public key (RFC 8032 encoding)."""
    return public_key.public_bytes_raw()


def load_public_key_raw(data: bytes) -> Ed25519PublicKey:
    """Load a public key from its 32 raw bytes. Raise ValueError for any other length."""
    return Ed25519PublicKey.from_public_bytes(data)
