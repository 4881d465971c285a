"""Check AFX's published audit heads and proofs with nothing but its first public key.

Pure: the standard library, `cryptography` and four pure modules of this package
(`merkle`, `head_signature`, `head_chain`, `key_history`); no Django, no database. An
outside auditor runs::

    python -m audit.verify_export HEADS.jsonl --public-key afx-audit.pem [--previous OLD.jsonl]
    python -m audit.verify_export --proof PROOF.json --public-key afx-audit.pem

A heads export (`manage.py audit_export_heads`, `GET /api/v1/audit/heads/export/`) passes
when its first key is the one you hold, each signing key change it lists is signed by the
key in force before it and by the key it announces, and names a head of the export; every
head is signed by the key in force at its number (the first key, then each announced one
after the head its change names), heads are numbered without a gap, each grows from the
one before, and each consistency proof shows it extends the one before: the log was only
ever appended to. With `--previous`, every head and key change of an older export must
still be in the new one, unchanged, so a log rewritten since (even re-signed) is caught. A proof
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
from .head_signature import (
    TreeHead,
    load_public_key_pem,
    load_public_key_raw,
    public_key_to_raw,
    verify_exported_head,
)
from .key_history import KeyHistory, follow_key_changes, key_change_from_json
from .merkle import leaf_hash, verify_consistency, verify_inclusion

HEADS_FORMAT = "AFX-HEADS-v1"
_SIGNED_KEYS = ("format", "tree_size", "timestamp_ms", "root_hash", "signature")


class VerificationFailed(Exception):
    """What is wrong with the export or proof, in words an auditor can act on."""


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """The key id AFX prints next to its public key: 16 hex digits of SHA-256 of the raw key."""
    return hashlib.sha256(public_key_to_raw(public_key)).hexdigest()[:16]


def verified_head(keys: Ed25519PublicKey | KeyHistory, document: Mapping[str, Any]) -> TreeHead:
    """Check a head document's signature and link signature under the key in force at its number."""
    number = document.get("number")
    try:
        if type(number) is not int:
            raise ValueError("a head needs an integer number")
        public_key = keys.key_for_head(number) if isinstance(keys, KeyHistory) else keys
        try:
            head = verify_exported_head(public_key, {key: document.get(key) for key in _SIGNED_KEYS})
            verify_link(public_key, number, head, _b64(document.get("link_signature")))
        except ValueError as error:
            announced = keys.keys if isinstance(keys, KeyHistory) else [public_key_to_raw(keys)]
            _wrong_key(number, public_key, announced, document)
            raise error
    except ValueError as error:  # HeadSignatureError and HeadFormatError are ValueErrors
        raise VerificationFailed(f"head {number}: {error}") from None
    return head


def _wrong_key(
    number: int, public_key: Ed25519PublicKey, announced: Sequence[bytes], document: Mapping[str, Any]
) -> None:
    """Say so when a head that fails names another key than the one in force: one no key change
    announced, or one announced for other heads (the named id is not signed, so this only
    explains a failure, never passes one)."""
    named, in_force = document.get("key_id"), fingerprint(public_key)
    if not isinstance(named, str) or named == in_force:
        return
    if named in {fingerprint(load_public_key_raw(key)) for key in announced}:
        why = f"which is not the key in force at head {number} ({in_force})"
    else:
        why = f"which no valid key change announces (the key in force at head {number} is {in_force})"
    raise VerificationFailed(f"head {number} is signed by key {named}, {why}")


def key_history(public_key: Ed25519PublicKey, header: Mapping[str, Any]) -> KeyHistory:
    """Follow the export's key changes from `public_key`, the first key, which you hold."""
    exported_key = load_public_key_pem(str(header.get("public_key", "")).encode())
    if public_key_to_raw(exported_key) != public_key_to_raw(public_key):
        raise VerificationFailed(
            f"the export starts from key {fingerprint(exported_key)}, not the one you hold"
        )
    documents = header.get("key_changes", [])
    if not isinstance(documents, list):
        raise VerificationFailed("key_changes must be a list")
    try:
        signed = [key_change_from_json(document) for document in documents]
    except ValueError as error:
        raise VerificationFailed(str(error)) from None
    history, broken = follow_key_changes(public_key, signed)
    if broken is not None:
        raise VerificationFailed(f"the signing key chain is broken: {broken}")
    return history


def verify_heads(
    public_key: Ed25519PublicKey,
    lines: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]] = (),
) -> list[TreeHead]:
    """Check a parsed heads export (its first line is the key line); return its heads, in order."""
    return verify_export(public_key, lines, previous)[0]


def verify_export(
    public_key: Ed25519PublicKey,
    lines: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]] = (),
) -> tuple[list[TreeHead], KeyHistory]:
    """Check a parsed heads export from its first key; return its heads, in order, and its key history."""
    if not lines or lines[0].get("format") != HEADS_FORMAT:
        raise VerificationFailed(f"not an {HEADS_FORMAT} export")
    history = key_history(public_key, lines[0])
    heads: list[TreeHead] = []
    by_number: dict[object, Mapping[str, Any]] = {}
    heads_by_number: dict[int, TreeHead] = {}
    previous_number = 0
    for document in lines[1:]:
        head = verified_head(history, document)
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
        heads_by_number[number] = head
        previous_number = number
    _check_handovers(history, heads_by_number)
    _check_previous(lines[0], by_number, previous)
    return heads, history


def _check_handovers(history: KeyHistory, heads: Mapping[int, TreeHead]) -> None:
    """Each key change names a head of the export, as it is: the last one its old key signed."""
    for change in history.changes:
        if change.head_number == 0:
            continue
        named = heads.get(change.head_number)
        if named is None or not change.binds(named):
            raise VerificationFailed(
                f"key change {change.number} names head {change.head_number} of {change.tree_size} "
                "leaves, which is not that head of the export"
            )


def _check_previous(
    header: Mapping[str, Any],
    by_number: Mapping[object, Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]],
) -> None:
    """An older export's heads and key changes must all be in the new one, unchanged."""
    if not previous:
        return
    old_changes, new_changes = previous[0].get("key_changes", []), header.get("key_changes", [])
    for position, old_change in enumerate(old_changes):
        if position >= len(new_changes) or new_changes[position] != old_change:
            raise VerificationFailed(f"key change {position + 1} of the previous export is gone or changed")
    for old in previous[1:]:
        kept = by_number.get(old.get("number"))
        if kept is None or any(kept.get(key) != old.get(key) for key in _SIGNED_KEYS):
            raise VerificationFailed(f"head {old.get('number')} of the previous export is gone or changed")


def _check_consistency(older: TreeHead, newer: TreeHead, document: Mapping[str, Any], number: int) -> None:
    proof = [_b64(node) for node in document.get("consistency", [])]
    try:
        verify_consistency(older.tree_size, newer.tree_size, proof, older.root_hash, newer.root_hash)
    except ValueError as error:
        raise VerificationFailed(f"head {number} does not extend the head before it: {error}") from None


def verify_proof(keys: Ed25519PublicKey | KeyHistory, document: Mapping[str, Any]) -> str:
    """Check an inclusion or consistency proof document from the API; return what it proved.

    `keys` is one public key, or the key history of a heads export (for heads signed after
    a rotation: each head is then checked under the key in force at its number)."""
    proof = [_b64(node) for node in document.get("proof", [])]
    try:
        if "leaf_bytes" in document:
            head = verified_head(keys, document["head"])
            leaf = leaf_hash(str(document["leaf_bytes"]).encode())
            if _b64(document.get("leaf_hash")) != leaf:
                raise VerificationFailed("the leaf hash is not the hash of the leaf bytes")
            verify_inclusion(document["leaf_index"], head.tree_size, leaf, proof, head.root_hash)
            event = document.get("event_id")
            return f"event {event} is leaf {document['leaf_index']} of the head of {head.tree_size} leaves"
        older = verified_head(keys, document["from"])
        newer = verified_head(keys, document["to"])
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


def _summary(heads: list[TreeHead], history: KeyHistory) -> str:
    latest = f"latest has {heads[-1].tree_size} leaves" if heads else "no heads yet"
    keys = " -> ".join(fingerprint(load_public_key_raw(key)) for key in history.keys)
    changes = len(history.changes)
    rotated = f" ({changes} signing key change{'s' if changes != 1 else ''} followed)" if changes else ""
    return f"OK: {len(heads)} heads verified under key {keys}{rotated}; {latest}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit.verify_export", description=__doc__.splitlines()[0]
    )
    parser.add_argument("heads", nargs="?", type=Path, help="a heads export (JSON Lines)")
    parser.add_argument(
        "--public-key", type=Path, help="AFX's first audit public key (PEM); later keys follow from it"
    )
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
        keys: Ed25519PublicKey | KeyHistory = public_key
        if options.heads is not None:
            previous = _read_lines(options.previous) if options.previous else []
            heads, keys = verify_export(public_key, _read_lines(options.heads), previous)
            _say(_summary(heads, keys))
        if options.proof is not None:
            _say("OK: " + verify_proof(keys, json.loads(options.proof.read_text(encoding="utf-8"))))
    except (VerificationFailed, ValueError, OSError) as error:
        sys.stderr.write(f"FAILED: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
