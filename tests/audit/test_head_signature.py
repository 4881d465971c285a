"""Tests for audit.head_signature: the signed byte layout, Ed25519 signing and the JSON export."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from afx_sdk import signing
from audit.head_signature import (
    HeadFormatError,
    HeadSignatureError,
    TreeHead,
    generate_private_key,
    head_from_json,
    head_to_json,
    load_public_key_pem,
    load_public_key_raw,
    private_key_to_pem,
    private_key_to_raw,
    public_key_to_pem,
    public_key_to_raw,
    sign_head,
    verify_exported_head,
    verify_head,
)
from audit.merkle import EMPTY_ROOT

# RFC 8032 section 7.1, TEST 1: a published Ed25519 seed and its public key.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")

PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(RFC8032_SEED)
ROOT = bytes(range(32))
HEAD = TreeHead(tree_size=0x0102, root_hash=ROOT, timestamp_ms=0x0A0B)

heads = st.builds(
    TreeHead,
    tree_size=st.integers(1, 2**64 - 1),
    root_hash=st.binary(min_size=32, max_size=32),
    timestamp_ms=st.integers(0, 2**64 - 1),
)


def _flip_first_bit(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


HEAD_BYTES = (
    b"AFX-STH-v1"
    + bytes.fromhex("0000000000000102")  # tree_size, uint64 big-endian
    + bytes.fromhex("0000000000000a0b")  # timestamp_ms, uint64 big-endian
    + ROOT
)


def test_canonical_bytes_layout() -> None:
    assert HEAD.canonical_bytes() == HEAD_BYTES
    assert len(HEAD_BYTES) == 58


@given(heads, heads)
def test_distinct_heads_have_distinct_bytes(first: TreeHead, second: TreeHead) -> None:
    assert (first == second) == (first.canonical_bytes() == second.canonical_bytes())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tree_size": -1}, "tree_size"),
        ({"tree_size": 2**64}, "tree_size"),
        ({"tree_size": True}, "tree_size"),
        ({"timestamp_ms": -1}, "timestamp_ms"),
        ({"timestamp_ms": 1.5}, "timestamp_ms"),
        ({"root_hash": ROOT[:31]}, "root_hash"),
        ({"root_hash": bytearray(ROOT)}, "root_hash"),
        ({"tree_size": 0}, "empty-tree root"),
    ],
)
def test_tree_head_rejects_invalid_fields(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"tree_size": 1, "root_hash": ROOT, "timestamp_ms": 0, **fields}
    with pytest.raises(ValueError, match=message):
        TreeHead(**values)  # type: ignore[arg-type]


def test_empty_tree_head_is_allowed() -> None:
    assert TreeHead(tree_size=0, root_hash=EMPTY_ROOT, timestamp_ms=0).tree_size == 0


def test_raw_key_loading_matches_rfc8032() -> None:
    assert public_key_to_raw(PRIVATE_KEY.public_key()) == RFC8032_PUBLIC
    assert private_key_to_raw(PRIVATE_KEY) == RFC8032_SEED


@given(heads)
def test_signature_round_trip(head: TreeHead) -> None:
    signature = sign_head(PRIVATE_KEY, head)
    assert len(signature) == 64
    verify_head(load_public_key_raw(RFC8032_PUBLIC), head, signature)


@given(heads, st.data())
def test_altered_head_fails(head: TreeHead, data: st.DataObject) -> None:
    signature = sign_head(PRIVATE_KEY, head)
    other_size = head.tree_size + 1 if head.tree_size < 2**64 - 1 else head.tree_size - 1
    altered = data.draw(
        st.sampled_from(
            [
                TreeHead(other_size, head.root_hash, head.timestamp_ms),
                TreeHead(head.tree_size, _flip_first_bit(head.root_hash), head.timestamp_ms),
                TreeHead(head.tree_size, head.root_hash, head.timestamp_ms ^ 1),
            ]
        )
    )
    with pytest.raises(HeadSignatureError, match="does not match"):
        verify_head(PRIVATE_KEY.public_key(), altered, signature)


def test_altered_or_foreign_signature_fails() -> None:
    signature = sign_head(PRIVATE_KEY, HEAD)
    with pytest.raises(HeadSignatureError, match="does not match"):
        verify_head(PRIVATE_KEY.public_key(), HEAD, _flip_first_bit(signature))
    with pytest.raises(HeadSignatureError, match="does not match"):
        verify_head(generate_private_key().public_key(), HEAD, signature)
    with pytest.raises(HeadSignatureError, match="64 bytes"):
        verify_head(PRIVATE_KEY.public_key(), HEAD, signature[:63])


def test_signature_is_over_the_prefixed_message_only() -> None:
    """A signature over the bare fields (no domain prefix) must not pass as a head signature."""
    unprefixed = PRIVATE_KEY.sign(HEAD.canonical_bytes().removeprefix(b"AFX-STH-v1"))
    with pytest.raises(HeadSignatureError):
        verify_head(PRIVATE_KEY.public_key(), HEAD, unprefixed)


def test_private_key_pem_is_read_by_the_one_private_key_parser() -> None:
    """The sequencer's key file is read by `afx_sdk.signing.load_private_key`, like every key."""
    pem = private_key_to_pem(PRIVATE_KEY)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert private_key_to_raw(signing.load_private_key(pem.decode())) == RFC8032_SEED


def test_private_key_pem_may_be_encrypted() -> None:
    pem = private_key_to_pem(PRIVATE_KEY, b"correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = serialization.load_pem_private_key(pem, password=b"correct horse")
    assert isinstance(key, Ed25519PrivateKey) and private_key_to_raw(key) == RFC8032_SEED


def test_public_key_pem_round_trip() -> None:
    pem = public_key_to_pem(PRIVATE_KEY.public_key())
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert public_key_to_raw(load_public_key_pem(pem)) == RFC8032_PUBLIC


def test_pem_loaders_reject_other_key_types() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    private_pem = ec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="Ed25519 private key"):
        signing.load_private_key(private_pem.decode())
    with pytest.raises(ValueError, match="Ed25519 public key"):
        load_public_key_pem(public_pem)


def test_raw_public_key_loader_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        load_public_key_raw(RFC8032_PUBLIC + b"\x00")


def test_generated_keys_are_fresh_ed25519_keys() -> None:
    first, second = generate_private_key(), generate_private_key()
    assert isinstance(first, Ed25519PrivateKey)
    assert private_key_to_raw(first) != private_key_to_raw(second)


# --- JSON export ------------------------------------------------------------------------------


def _exported(head: TreeHead = HEAD) -> dict[str, object]:
    """A signed head as an outsider receives it: serialised to JSON text and parsed back."""
    loaded: dict[str, object] = json.loads(json.dumps(head_to_json(head, sign_head(PRIVATE_KEY, head))))
    return loaded


def test_json_export_shape() -> None:
    assert _exported() == {
        "format": "AFX-STH-v1",
        "tree_size": 258,
        "timestamp_ms": 2571,
        "root_hash": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "signature": base64.b64encode(PRIVATE_KEY.sign(HEAD_BYTES)).decode(),
    }


@given(heads)
def test_outsider_verifies_export_with_public_key_only(head: TreeHead) -> None:
    public_key = load_public_key_pem(public_key_to_pem(PRIVATE_KEY.public_key()))
    assert verify_exported_head(public_key, _exported(head)) == head
    parsed_head, signature = head_from_json(_exported(head))
    assert parsed_head == head
    assert signature == sign_head(PRIVATE_KEY, head)


@pytest.mark.parametrize(("field", "value"), [("tree_size", 259), ("timestamp_ms", 2572)])
def test_tampered_export_fails_signature(field: str, value: int) -> None:
    exported = {**_exported(), field: value}
    with pytest.raises(HeadSignatureError):
        verify_exported_head(PRIVATE_KEY.public_key(), exported)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "AFX-STH-v2"}, "unsupported"),
        ({"extra": 1}, "expected keys"),
        ({"tree_size": True}, "JSON integer"),
        ({"tree_size": "258"}, "JSON integer"),
        ({"timestamp_ms": -1}, "timestamp_ms"),
        ({"root_hash": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}, "base64"),  # no padding
        ({"root_hash": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="}, "canonical"),  # stray low bits
        ({"root_hash": "AAEC"}, "root_hash must be 32 bytes"),
        ({"root_hash": 5}, "base64 string"),
        ({"signature": "AAEC"}, "signature must be 64 bytes"),
    ],
)
def test_malformed_export_is_rejected(change: dict[str, object], message: str) -> None:
    with pytest.raises(HeadFormatError, match=message):
        verify_exported_head(PRIVATE_KEY.public_key(), {**_exported(), **change})


def test_export_missing_field_is_rejected() -> None:
    exported = _exported()
    del exported["signature"]
    with pytest.raises(HeadFormatError, match="expected keys"):
        head_from_json(exported)
