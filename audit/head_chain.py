"""Numbered tree heads: a second signature that binds each head to its place in the sequence.

A signed tree head (`audit.head_signature`) says "the first n leaves have this root", but
nothing in it says which heads came before. Whoever can delete rows could then remove a
head, or several in a row, and every head left would still verify. So the sequencer
numbers its heads 1, 2, 3... and also signs, with the same key, this link message
(always 81 bytes)::

    offset  size  field
    0       15    b"AFX-STH-LINK-v1"   ASCII domain and version prefix
    15      8     number              unsigned, big-endian, 1 for the first head
    23      58    the head's canonical bytes (`TreeHead.canonical_bytes`)

A missing head is then a gap in signed numbers, which nobody without the key can close.
Pure (no Django), for the outside verifier. The prefix keeps a link signature from being
taken for a head signature, whose message starts with b"AFX-STH-v1".
"""

from __future__ import annotations

import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .head_signature import HeadSignatureError, TreeHead

__all__ = ["LINK_FORMAT", "link_bytes", "sign_link", "verify_link"]

LINK_FORMAT = b"AFX-STH-LINK-v1"
_NUMBER = struct.Struct(">Q")


def link_bytes(number: int, head: TreeHead) -> bytes:
    """The signed link message of head `number`; the layout is in the module docstring."""
    if number < 1:
        raise ValueError(f"heads are numbered from 1, got {number}")
    return LINK_FORMAT + _NUMBER.pack(number) + head.canonical_bytes()


def sign_link(private_key: Ed25519PrivateKey, number: int, head: TreeHead) -> bytes:
    """Sign that `head` is head number `number`; 64 bytes, deterministic like every Ed25519 signature."""
    return private_key.sign(link_bytes(number, head))


def verify_link(public_key: Ed25519PublicKey, number: int, head: TreeHead, signature: bytes) -> None:
    """Return None if `signature` links `head` to `number`, else raise HeadSignatureError."""
    try:
        public_key.verify(signature, link_bytes(number, head))
    except InvalidSignature:
        raise HeadSignatureError(f"link signature of head {number} does not match") from None
