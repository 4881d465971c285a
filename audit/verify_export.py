"""Check AFX's published audit heads and proofs with nothing but its public key.

Pure: the standard library, `cryptography` and three pure modules of this package
(`merkle`, `head_signature`, `head_chain`); no Django, no database. An outside auditor runs::

    python -m audit.verify_export HEADS.jsonl --public-key afx-audit.pem [--previous OLD.jsonl]
    python -m audit.verify_export --proof PROOF.json --public-key afx-audit.pem

A heads export (`manage.py audit_export_heads`, `GET /api/v1/audit/heads/export/`) passes
when every head is signed by the key, heads are numbered without a gap, each grows from
the one before, and each consistency proof shows it extends the one before: the log was
only ever appended to. With `--previous`, every head of an older export must still be in
the new one, unchanged, so a log rewritten since (even re-signed) is caught. A proof
document (`GET /api/v1/audit/events/{id}/proof/` or `.../heads/consistency/`) passes when
its head or heads are signed and the proof verifies against them. Exit status 0 means
verified, 1 means a fault, which is printed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .head_chain import verify_link
from .head_signature import TreeHead, load_public_key_pem, public_key_to_raw, verify_exported_head
from .merkle import leaf_hash, verify_consistency, verify_inclusion

HEADS_FORMAT = "AFX-HEADS-v1"
_SIGNED_KEYS = ("format", "tree_size", "timestamp_ms", "root_hash", "signature")


class VerificationFailed(Exception):
    """What is wrong with the export or proof, in words an auditor can act on."""


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """The key id AFX prints next to its public key: 16 hex digits of SHA-256 of the raw key."""
    return hashlib.sha256(public_key_to_raw(public_key)).hexdigest()[:16]


def verified_head(public_key: Ed25519PublicKey, document: Mapping[str, Any]) -> TreeHead:
    """Check a head document's signature and link signature; return the head."""
    number = document.get("number")
    try:
        head = verify_exported_head(public_key, {key: document.get(key) for key in _SIGNED_KEYS})
        if type(number) is not int:
            raise ValueError("a head needs an integer number")
        verify_link(public_key, number, head, _b64(document.get("link_signature")))
    except ValueError as error:  # HeadSignatureError and HeadFormatError are ValueErrors
        raise VerificationFailed(f"head {number}: {error}") from None
    return head


def verify_heads(
    public_key: Ed25519PublicKey,
    lines: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]] = (),
) -> list[TreeHead]:
    """Check a parsed heads export (its first line is the key line); return its heads, in order."""
    if not lines or lines[0].get("format") != HEADS_FORMAT:
        raise VerificationFailed(f"not an {HEADS_FORMAT} export")
    exported_key = load_public_key_pem(str(lines[0].get("public_key", "")).encode())
    if public_key_to_raw(exported_key) != public_key_to_raw(public_key):
        raise VerificationFailed(f"the export names key {fingerprint(exported_key)}, not the one you hold")
    heads: list[TreeHead] = []
    by_number: dict[object, Mapping[str, Any]] = {}
    previous_number = 0
    for document in lines[1:]:
        head = verified_head(public_key, document)
        number = document["number"]
        if heads:
            if number != previous_number + 1:
                raise VerificationFailed(f"heads {previous_number + 1} to {number - 1} are missing")
            if head.tree_size <= heads[-1].tree_size or head.timestamp_ms < heads[-1].timestamp_ms:
                raise VerificationFailed(f"head {number} does not grow from the head before it")
            _check_consistency(heads[-1], head, document, number)
        elif document.get("consistency"):
            raise VerificationFailed(f"head {number} is first but carries a consistency proof")
        heads.append(head)
        by_number[number] = document
        previous_number = number
    for old in previous[1:]:
        kept = by_number.get(old.get("number"))
        if kept is None or any(kept.get(key) != old.get(key) for key in _SIGNED_KEYS):
            raise VerificationFailed(f"head {old.get('number')} of the previous export is gone or changed")
    return heads


def _check_consistency(older: TreeHead, newer: TreeHead, document: Mapping[str, Any], number: int) -> None:
    proof = [_b64(node) for node in document.get("consistency", [])]
    try:
        verify_consistency(older.tree_size, newer.tree_size, proof, older.root_hash, newer.root_hash)
    except ValueError as error:
        raise VerificationFailed(f"head {number} does not extend the head before it: {error}") from None


def verify_proof(public_key: Ed25519PublicKey, document: Mapping[str, Any]) -> str:
    """Check an inclusion or consistency proof document from the API; return what it proved."""
    proof = [_b64(node) for node in document.get("proof", [])]
    try:
        if "leaf_bytes" in document:
            head = verified_head(public_key, document["head"])
            leaf = leaf_hash(str(document["leaf_bytes"]).encode())
            if _b64(document.get("leaf_hash")) != leaf:
                raise VerificationFailed("the leaf hash is not the hash of the leaf bytes")
            verify_inclusion(document["leaf_index"], head.tree_size, leaf, proof, head.root_hash)
            event = document.get("event_id")
            return f"event {event} is leaf {document['leaf_index']} of the head of {head.tree_size} leaves"
        older = verified_head(public_key, document["from"])
        newer = verified_head(public_key, document["to"])
        if older.tree_size != newer.tree_size or proof:
            verify_consistency(older.tree_size, newer.tree_size, proof, older.root_hash, newer.root_hash)
        return f"the head of {newer.tree_size} leaves extends the head of {older.tree_size}"
    except (KeyError, TypeError) as error:
        raise VerificationFailed(f"not a proof document: {error}") from None
    except ValueError as error:
        raise VerificationFailed(str(error)) from None


def _b64(value: object) -> bytes:
    if not isinstance(value, str):
        raise VerificationFailed("expected a base64 string")
    return base64.b64decode(value, validate=True)


def _read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit.verify_export", description=__doc__.splitlines()[0]
    )
    parser.add_argument("heads", nargs="?", type=Path, help="a heads export (JSON Lines)")
    parser.add_argument("--public-key", type=Path, help="AFX's audit public key (PEM) you hold")
    parser.add_argument("--previous", type=Path, help="an older heads export that must still hold")
    parser.add_argument("--proof", type=Path, help="an inclusion or consistency proof document (JSON)")
    options = parser.parse_args(argv)
    if options.heads is None and options.proof is None:
        parser.error("give a heads export, --proof, or both")
    try:
        if options.public_key is None:
            if options.heads is None:
                parser.error("--proof needs --public-key")
            first = _read_lines(options.heads)[0]
            public_key = load_public_key_pem(str(first.get("public_key", "")).encode())
            _say(
                f"warning: trusting the key in the export; compare its id {fingerprint(public_key)} elsewhere"
            )
        else:
            public_key = load_public_key_pem(options.public_key.read_bytes())
        if options.heads is not None:
            previous = _read_lines(options.previous) if options.previous else []
            heads = verify_heads(public_key, _read_lines(options.heads), previous)
            latest = f"latest has {heads[-1].tree_size} leaves" if heads else "no heads yet"
            _say(f"OK: {len(heads)} heads verified under key {fingerprint(public_key)}; {latest}")
        if options.proof is not None:
            _say("OK: " + verify_proof(public_key, json.loads(options.proof.read_text(encoding="utf-8"))))
    except (VerificationFailed, ValueError, OSError) as error:
        sys.stderr.write(f"FAILED: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
