"""The sequencer: puts committed events into the Merkle tree in commit order and signs heads.

Writers never wait for it, nor for each other: `event_record` is a plain INSERT, and an
AFTER INSERT trigger queues the event id in `UnsequencedEvent` in the same transaction.

Commit order. On PostgreSQL ids are drawn when a transaction inserts, not when it
commits, so a writer holding id 100 may commit after id 101 has been sequenced. A
sequencer that kept "the last id done" would skip 100 for ever; one that waited a safety
margin would still skip a transaction slower than the margin. Here the queue row of 100
simply becomes visible when 100 commits, and the next batch takes it. Each batch claims
what the queue holds at that moment with a single DELETE ... RETURNING, so:

* the leaves are in the order the sequencer saw commits, batch by batch (by id within a
  batch, for determinism); an event can never be skipped, however long its transaction;
* nothing relies on clocks or on guessing which transactions are still open;
* the cost per batch is the number of new events, not the size of the log.

Only one sequencer runs at a time: on PostgreSQL it holds a transaction-level advisory
lock and another run returns at once; SQLite serialises writers anyway. The unique head
number and leaf indices make any overlap fail rather than fork the tree.

Each batch is one transaction: claim, hash the events as stored (`audit.rows`),
append the leaves and the nodes they complete, and publish the next signed head. A
rollback returns the claimed events to the queue. The sequencer resumes from the compact
range stored in the latest head, after checking that head's signatures and root, so it
never extends a head it did not sign itself.

Which key signs is read from the stored key changes (`audit.key_history`), not from the
settings: the key the latest change hands over to, or the first key when there is none.
A sequencer not configured with that key halts rather than sign with another, so after a
rotation no head is ever signed by the retired key, and none by a key nobody announced.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, models, transaction
from django.utils import timezone

from . import conf, signing
from .head_chain import sign_link, verify_link
from .head_signature import TreeHead, sign_head, verify_head
from .key_history import KeyHistory
from .merkle import CompactRange
from .models import MerkleNode, SequencedLeaf, SignedTreeHead, UnsequencedEvent
from .rows import leaf_hash, rows_by_ids
from .tree import completed_nodes, is_stored, left_edge, position

logger = logging.getLogger(__name__)

# "AFXAUDIT" as a number: the PostgreSQL advisory lock only the sequencer takes.
ADVISORY_LOCK_KEY = 0x4146584155444954


class SequencerHalted(RuntimeError):
    """The latest head does not match the state stored with it: do not build on it.

    The sequencer stops publishing (and health shows the lag grow) until an operator has
    run `audit_verify` and found out what was changed.
    """


def sequence_events(*, max_batches: int = 20) -> list[SignedTreeHead]:
    """Run batches until the queue is empty or `max_batches` heads were published."""
    heads = []
    for _ in range(max_batches):
        head = sequence_batch()
        if head is None:
            break
        heads.append(head)
    return heads


@transaction.atomic
def sequence_batch(*, batch_size: int | None = None) -> SignedTreeHead | None:
    """Append up to `batch_size` queued events and publish a head; None if there was nothing to do."""
    if not _take_lock():
        return None
    event_ids = _claim(batch_size or conf.sequencer_batch_size())
    if not event_ids:
        return None
    latest = SignedTreeHead.objects.order_by("-number").first()
    history = _key_history()
    private_key = _key_in_force(history)
    state = _resume(latest, history)
    start = state.size
    rows = rows_by_ids(event_ids)
    if len(rows) != len(event_ids):
        found = {row[0] for row in rows}
        logger.error("Queued audit events have no row: %s", sorted(set(event_ids) - found))
        if not rows:
            return None
    hashes = [leaf_hash(row) for row in rows]
    nodes = completed_nodes(start, hashes, left_edge(state))
    state.extend(hashes)
    _insert(
        SequencedLeaf,
        ("leaf_index", "event_id", "leaf_hash"),
        [(start + offset, row[0], leaf) for offset, (row, leaf) in enumerate(zip(rows, hashes, strict=True))],
    )
    stored = [(position((level, index)), value) for level, index, value in nodes if is_stored(level)]
    _insert(MerkleNode, ("position", "hash"), stored)
    return _publish(latest, state, private_key)


def _take_lock() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _claim(limit: int) -> list[int]:
    """Take up to `limit` committed events off the queue, smallest ids first, in one statement."""
    table = UnsequencedEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE event_id IN "  # noqa: S608 (the table name is ours)
            f"(SELECT event_id FROM {table} ORDER BY event_id LIMIT %s) RETURNING event_id",
            [limit],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _insert(model: type[models.Model], columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
    """Append many rows fast: COPY on PostgreSQL, executemany on SQLite.

    The ORM's bulk_create spends more time building SQL than the database spends
    inserting; at thousands of events a second that would make the sequencer the bottleneck.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def _key_history() -> KeyHistory:
    history, error = signing.key_history()
    if error is not None:
        raise SequencerHalted(f"the signing key changes do not verify: {error}")
    return history


def _key_in_force(history: KeyHistory) -> Ed25519PrivateKey:
    """The private key of the key in force; halt if this process is not configured with it."""
    in_force = history.current
    private_key = signing.private_key_for(in_force)
    if private_key is None:
        raise SequencerHalted(
            f"the audit signing key in force is {signing.key_id(in_force)} (key change "
            f"{len(history.changes)}), neither AFX_AUDIT_SIGNING_KEY nor AFX_AUDIT_SIGNING_KEY_NEXT here"
        )
    return private_key


def _resume(latest: SignedTreeHead | None, history: KeyHistory) -> CompactRange:
    """The tree state after the latest head, checked against that head's signatures under its key."""
    if latest is None:
        return CompactRange()
    public_key = history.key_for_head(latest.number)
    try:
        verify_head(public_key, latest.head, bytes(latest.signature))
        verify_link(public_key, latest.number, latest.head, bytes(latest.link_signature))
        state = CompactRange.from_bytes(bytes(latest.compact_range))
    except ValueError as error:
        raise SequencerHalted(f"head {latest.number} is not ours or is damaged: {error}") from error
    if state.size != latest.tree_size or state.root() != bytes(latest.root_hash):
        raise SequencerHalted(f"the stored tree state does not match head {latest.number}")
    return state


def _publish(
    latest: SignedTreeHead | None, state: CompactRange, private_key: Ed25519PrivateKey
) -> SignedTreeHead:
    number = latest.number + 1 if latest else 1
    now_ms = int(timezone.now().timestamp() * 1000)
    head = TreeHead(
        tree_size=state.size,
        root_hash=state.root(),
        timestamp_ms=max(now_ms, latest.timestamp_ms if latest else 0),
    )
    return SignedTreeHead.objects.create(
        number=number,
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        timestamp_ms=head.timestamp_ms,
        signature=sign_head(private_key, head),
        link_signature=sign_link(private_key, number, head),
        key_id=signing.key_id(private_key.public_key()),
        compact_range=state.to_bytes(),
    )
