"""The one reader of events as canonical rows, shared by the sequencer, the verifier, proofs and exports.

A leaf hashes what this module returns, so every path that hashes or shows leaf data goes
through it; two readers that disagreed on a single value would make sound events look
tampered. It reads with plain SQL, not the ORM, because the ORM's per-row conversions
(datetime parsing above all) cost more than hashing does, and `audit_verify` must read a
million rows in seconds. The values are exact on both databases:

* `created_at` as integer microseconds since the epoch: computed by PostgreSQL
  (`EXTRACT(EPOCH ...)` is an exact numeric there) or parsed from SQLite's text;
* `source_address` as text without a mask (`host()` on PostgreSQL's inet);
* `details` decoded from its JSON text (key order does not matter: canonical bytes sort keys).

`leaf_bytes` is `audit.canonical.canonical_bytes` done with orjson, several times faster
than the standard library and byte for byte the same on the details `event_record` admits.
A row it cannot encode (a huge integer written behind `event_record`'s back) falls back to
the reference encoder, so the sequencer and the verifier still agree on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from .canonical import EVENT_FORMAT, canonical_bytes, microseconds_since_epoch
from .models import AuditEvent, SequencedLeaf

Row = tuple[Any, ...]

EVENTS = AuditEvent._meta.db_table
LEAVES = SequencedLeaf._meta.db_table
_FETCH = 10_000
_sha256 = hashlib.sha256
_IDS_PER_QUERY = 500

_PLAIN_COLUMNS = (
    "actor_type, actor_id, actor_partner, actor_role, action, target_type, target_id, case_id, request_id"
)
_COLUMNS = {
    "postgresql": (
        f"e.id, (EXTRACT(EPOCH FROM e.created_at) * 1000000)::bigint, {_PLAIN_COLUMNS}, "
        "host(e.source_address), e.outcome, e.details::text"
    ),
    "sqlite": f"e.id, e.created_at, {_PLAIN_COLUMNS}, e.source_address, e.outcome, e.details",
}


def _sqlite_microseconds(value: datetime | str) -> int:
    """SQLite keeps Django's datetimes as naive UTC text; Django's converter may have parsed it."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return microseconds_since_epoch(moment.replace(tzinfo=UTC))


def leaf_bytes(row: Row) -> bytes:
    """The canonical bytes of a row read here (see `audit.canonical`)."""
    try:
        return orjson.dumps([EVENT_FORMAT, *row], option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return canonical_bytes(row)


def leaf_hash(row: Row) -> bytes:
    """SHA-256(0x00 || canonical bytes): the RFC 6962 leaf hash of a row read here."""
    return _sha256(b"\x00" + leaf_bytes(row)).digest()


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # what orjson refuses (integers beyond 64 bits), as the reference would


def _decoder() -> Callable[[Sequence[Any]], Row]:
    loads = _loads
    if connection.vendor == "sqlite":
        return lambda raw: (raw[0], _sqlite_microseconds(raw[1]), *raw[2:13], loads(raw[13]))
    return lambda raw: (*raw[:13], loads(raw[13]))


def _columns() -> str:
    return _COLUMNS[connection.vendor]


def rows_by_ids(event_ids: Sequence[int]) -> list[Row]:
    """The canonical rows of these events, by id; ids without a row are left out."""
    decode = _decoder()
    rows: list[Row] = []
    with connection.cursor() as cursor:
        for offset in range(0, len(event_ids), _IDS_PER_QUERY):
            chunk = list(event_ids[offset : offset + _IDS_PER_QUERY])
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {_columns()} FROM {EVENTS} e WHERE e.id IN ({marks})", chunk)  # noqa: S608
            rows.extend(decode(raw) for raw in cursor.fetchall())
    rows.sort(key=lambda row: row[0])
    return rows


def rows_of(events: QuerySet[AuditEvent]) -> Iterator[tuple[Row, int | None]]:
    """Each event the queryset selects, by id, as (canonical row, leaf index or None); streamed.
    A queryset that can select nothing (`.none()`, an empty window) has no SQL: nothing to stream."""
    try:
        selection, params = events.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:
        return
    decode = _decoder()
    sql = (
        f"SELECT {_columns()}, l.leaf_index FROM {EVENTS} e "  # noqa: S608
        f"LEFT JOIN {LEAVES} l ON l.event_id = e.id WHERE e.id IN ({selection}) ORDER BY e.id"
    )
    for raw in _stream(sql, params):
        yield decode(raw[:14]), raw[14]


def leaf_rows(start: int, end: int) -> Iterator[tuple[int, bytes, int, Row | None]]:
    """(leaf index, stored leaf hash, event id, canonical row or None if the event is gone) for
    the leaves with index in [start, end), in leaf order; streamed."""
    decode = _decoder()
    sql = (
        f"SELECT l.leaf_index, l.leaf_hash, l.event_id, {_columns()} FROM {LEAVES} l "  # noqa: S608
        f"LEFT JOIN {EVENTS} e ON e.id = l.event_id "
        "WHERE l.leaf_index >= %s AND l.leaf_index < %s ORDER BY l.leaf_index"
    )
    for raw in _stream(sql, [start, end]):
        yield raw[0], bytes(raw[1]), raw[2], decode(raw[3:]) if raw[3] is not None else None


def _stream(sql: str, params: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """Fetch in chunks; on PostgreSQL through a server-side cursor, so memory stays flat."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(_FETCH):
            yield from chunk
