"""The canonical bytes of an audit event: what its Merkle leaf hashes, so anyone can recompute it.

This module is pure (standard library only) so an outside verifier can use it as is. A
leaf is ``SHA-256(0x00 || canonical bytes)`` (see `audit.merkle.leaf_hash`), and the
canonical bytes of an event are the UTF-8 encoding of one compact JSON array::

    ["AFX-EVENT-v1", id, created_at_us, actor_type, actor_id, actor_partner, actor_role,
     action, target_type, target_id, case_id, request_id, source_address, outcome, details]

* ``id`` is the event's integer id; ``created_at_us`` its time as integer microseconds
  since the Unix epoch (UTC), so no time zone or date format can differ between readers;
* ``source_address`` is a string or ``null``; every other field is a string (``""`` when
  empty) except ``details``, a JSON object;
* no whitespace at all (separators ``,`` and ``:``); object keys sorted by code point at
  every depth; strings are not ASCII-escaped: only ``"``, ``\\`` and control characters
  are escaped, control characters as ``\\b \\t \\n \\f \\r`` or lowercase ``\\u00xx``.

Details may hold only strings, 64-bit integers, booleans, null, arrays and objects with
string keys (`check_details`, which `event_record` applies before anything is written).
No floats: their text differs between JSON libraries and languages, while for this
domain the output is RFC 8785 (JCS) for ASCII keys, and a verifier in any language
reproduces it. Amounts and measures go into details as strings or integers.

The array (not an object) keeps the field order fixed by the format tag, and encodes in
about half the time of a sorted object. This module is the reference implementation; the
gateway itself encodes with orjson (`audit.rows.leaf_bytes`), whose output for this
domain is byte for byte the same (`tests/audit/test_canonical.py` checks it), which is what
lets `audit_verify` rehash a million events in seconds. A new layout gets a new tag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "EVENT_FIELDS",
    "EVENT_FORMAT",
    "canonical_bytes",
    "check_details",
    "event_leaf_hash",
    "microseconds_since_epoch",
    "record_leaf_hash",
]

EVENT_FORMAT = "AFX-EVENT-v1"

EVENT_FIELDS: tuple[str, ...] = (
    "id",
    "created_at",
    "actor_type",
    "actor_id",
    "actor_partner",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "case_id",
    "request_id",
    "source_address",
    "outcome",
    "details",
)
"""The event's columns in canonical order; a row of these values is what `canonical_bytes` takes.

`created_at` stands at its place as integer microseconds since the epoch."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_sha256 = hashlib.sha256


_INT64 = range(-(2**63), 2**63)


def check_details(value: object, path: str = "details") -> None:
    """Raise ValueError unless `value` is JSON of the domain canonical bytes allow (see above)."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if value not in _INT64:
            raise ValueError(f"{path}: integers in audit details must fit in 64 bits")
    elif isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            check_details(item, f"{path}[{position}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: keys in audit details must be strings")
            _check_text(key, path)
            check_details(item, f"{path}.{key}")
    else:
        raise ValueError(f"{path}: {type(value).__name__} is not allowed in audit details (no floats)")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError(f"{path}: text in audit details must be valid Unicode") from None


def microseconds_since_epoch(moment: datetime) -> int:
    """An aware datetime as integer microseconds since 1970-01-01T00:00:00Z."""
    return (moment - _EPOCH) // _MICROSECOND


def canonical_bytes(row: Sequence[Any]) -> bytes:
    """Encode one event given as its `EVENT_FIELDS` values, in that order.

    `created_at` is given as integer microseconds and `details` as a decoded JSON object.
    The sequencer, the verifier, proofs and exports all read rows through
    `audit.rows`, so they hash exactly the same values.
    """
    return _encode([EVENT_FORMAT, *row]).encode()


def event_leaf_hash(row: Sequence[Any]) -> bytes:
    """The RFC 6962 leaf hash of one event row: SHA-256(0x00 || canonical bytes)."""
    return _sha256(b"\x00" + canonical_bytes(row)).digest()


def record_leaf_hash(record: Mapping[str, object]) -> bytes:
    """The leaf hash of an event as exported (JSON Lines): `created_at_us` and the other fields.

    This is what an outsider holding an export runs before checking an inclusion proof.
    """
    return event_leaf_hash(
        [record["created_at_us" if name == "created_at" else name] for name in EVENT_FIELDS]
    )
