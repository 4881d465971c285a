"""Streamed exports: events as CSV or JSON Lines, and the signed heads with the key history.

Events are exported with exactly the values their leaves hash (read through `audit.rows`),
so each JSON line can be rehashed with `audit.canonical.record_leaf_hash` and checked
against an inclusion proof. CSV is for reading in a spreadsheet and neutralises cells a
spreadsheet would run as formulas; JSON Lines is the export to verify against.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db.models import Max, QuerySet

from core.spreadsheet import spreadsheet_safe

from .canonical import EVENT_FIELDS
from .head_signature import head_to_json, load_public_key_raw, public_key_to_pem
from .key_history import key_change_to_json
from .merkle import leaf_hash
from .models import AuditEvent, SignedTreeHead, SigningKeyChange
from .rows import Row, rows_of
from .signing import key_id

if TYPE_CHECKING:
    from .selectors import EventProof, HeadConsistency

# What each events export is served as, by the API and the console alike.
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl"}
EXPORT_COLUMNS = ("leaf_index", *EVENT_FIELDS[:2], "created_at_us", *EVENT_FIELDS[2:])
HEADS_FORMAT = "AFX-HEADS-v1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _record(row: Row, leaf_index: int | None) -> dict[str, Any]:
    values: dict[str, Any] = dict(zip(EVENT_FIELDS, row, strict=True))
    created_at_us = values["created_at"]
    values["created_at"] = (_EPOCH + timedelta(microseconds=created_at_us)).isoformat().replace("+00:00", "Z")
    return {"leaf_index": leaf_index, **values, "created_at_us": created_at_us}


def events_jsonl(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """One JSON object per event and line, oldest first, with its leaf index (null until sequenced)."""
    for row, leaf_index in rows_of(events):
        yield _line(_record(row, leaf_index))


def events_csv(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """A header, then one line per event, oldest first; `details` as compact JSON text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[object]) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(EXPORT_COLUMNS)
    for row, leaf_index in rows_of(events):
        record = _record(row, leaf_index)
        record["details"] = _compact(record["details"])
        yield line(spreadsheet_safe(record[column]) for column in EXPORT_COLUMNS)


def head_document(stored: SignedTreeHead) -> dict[str, Any]:
    """A signed head as the API and the heads export show it.

    The keys of `audit.head_signature.head_to_json` (what an outsider checks the signature
    on) plus the head's number, link signature, key fingerprint and time in ISO 8601.
    """
    return {
        "number": stored.number,
        **head_to_json(stored.head, bytes(stored.signature)),
        "link_signature": b64(bytes(stored.link_signature)),
        "key_id": stored.key_id,
        "published_at": stored.published_at.isoformat().replace("+00:00", "Z"),
    }


def heads_jsonl(
    heads: Iterable[tuple[SignedTreeHead, list[bytes]]], public_key: Ed25519PublicKey
) -> Iterator[str]:
    """The first public key and every key change, then every signed head with its consistency
    proof from the head before it: all an outsider holding the first key needs to check the
    published heads (`python -m audit.verify_export`).

    `public_key` is the current key, which is the first one as long as no rotation happened;
    after one, the first key is the one the first change hands over from. The changes are
    exported as stored, for the outsider to judge, not filtered by our own check of them.

    The heads stop at the latest one when the changes were read: a rotation meanwhile names
    a head at least that late, so every head exported is under a key the export announces.
    """
    last = SignedTreeHead.objects.aggregate(last=Max("number"))["last"] or 0
    changes = list(SigningKeyChange.objects.order_by("number"))
    first = load_public_key_raw(bytes(changes[0].previous_public_key)) if changes else public_key
    yield _line(
        {
            "format": HEADS_FORMAT,
            "public_key": public_key_to_pem(first).decode(),
            "key_id": key_id(first),
            "key_changes": [key_change_to_json(change.signed) for change in changes],
        }
    )
    for head, proof in heads:
        if head.number > last:
            break
        yield _line({**head_document(head), "consistency": [b64(node) for node in proof]})


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def proof_document(proof: EventProof) -> dict[str, Any]:
    """An event's inclusion proof as the API serves it and `verify_export --proof` checks it:
    the event, its leaf bytes and hash, the signed head and the audit path."""
    return {
        "event_id": proof.event.id,
        "leaf_index": proof.leaf_index,
        "leaf_bytes": proof.leaf_bytes.decode(),
        "leaf_hash": b64(leaf_hash(proof.leaf_bytes)),
        "head": head_document(proof.head),
        "proof": [b64(bytes(node)) for node in proof.proof],
    }


def consistency_document(consistency: HeadConsistency) -> dict[str, Any]:
    """A consistency proof as the API serves it (`GET /api/v1/audit/heads/consistency/`) and
    the console's page checks it in the browser: both signed heads and the RFC 9162 proof."""
    return {
        "from": head_document(consistency.older),
        "to": head_document(consistency.newer),
        "proof": [b64(bytes(node)) for node in consistency.proof],
    }


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _line(document: dict[str, object]) -> str:
    return _compact(document) + "\n"
