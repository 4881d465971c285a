"""`audit_verify`: recompute the whole tree from the events and check it against every signed head.

Trust rests on the signing key alone: the stored leaf hashes, nodes and tree state are
only caches, and someone with write access to the database could rewrite them all
consistently. What they cannot do without the key is sign. So the verifier rehashes every
event from its row, rebuilds the tree and compares it with every head's signed root, and
uses the stored caches only to say *where* a difference is. Each fault names what it can:

* an edited event: its rehash differs from the leaf hash stored when it was sequenced;
* a deleted event: its leaf points to no row; a deleted leaf: a gap in leaf indices;
* reordered events: a batch's leaves are not in id order, or a head's root differs;
* an inserted event: it is neither in the tree nor queued for it, or (if its leaf was
  forged too) the first head whose root no longer matches names the range;
* a forged or altered head: a bad head or link signature under the key in force at its
  number, or a head signed by a key that no valid chain of key changes leads to;
* a forged key change: one its previous key or its new key did not sign, out of sequence,
  or not naming the head it was made at (`audit.key_history`); the chain is followed from
  its first key, and one of the keys configured here must be on it;
* deleted heads: a gap in the signed head numbers, or leaves that no head covers.

Rehashing is most of the cost, so `workers` processes can each take a range of leaves
(PostgreSQL only: each needs its own connection to committed data).
"""

from __future__ import annotations

import itertools
import multiprocessing
from dataclasses import dataclass, field

from django.db import connection, connections, transaction
from django.db.models import Exists, Max, OuterRef

from . import conf, signing
from .head_chain import verify_link
from .head_signature import TreeHead, load_public_key_raw, public_key_to_raw, verify_head
from .key_history import KeyHistory, KeyHistoryError
from .merkle import EMPTY_ROOT, TreeLevels
from .models import AuditEvent, MerkleNode, SequencedLeaf, SignedTreeHead, UnsequencedEvent
from .rows import leaf_hash, leaf_rows
from .selectors import sequencer_lag_seconds
from .tree import node_key

_CHUNK = 5000
_MAX_FAULTS_PER_KIND = 20
_PARALLEL_MIN_LEAVES = 100_000


@dataclass(frozen=True)
class Fault:
    """One thing that is wrong, with the event, leaf or head it is about where known."""

    kind: str
    message: str
    event_id: int | None = None
    leaf_index: int | None = None
    head_number: int | None = None


@dataclass
class Report:
    leaves: int = 0
    heads: int = 0
    key_changes: int = 0
    faults: list[Fault] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults


@dataclass(frozen=True)
class _Head:
    """A head row as stored; nothing about it is trusted until its signatures are checked."""

    number: int
    tree_size: int
    root_hash: bytes
    timestamp_ms: int
    signature: bytes
    link_signature: bytes
    key_id: str


class _Faults:
    """Collects faults, keeping the first few of each kind so a flood cannot hide the others."""

    def __init__(self) -> None:
        self.items: list[Fault] = []
        self._per_kind: dict[str, int] = {}

    def add(self, kind: str, message: str, **where: int | None) -> None:
        seen = self._per_kind.get(kind, 0)
        self._per_kind[kind] = seen + 1
        if seen < _MAX_FAULTS_PER_KIND:
            self.items.append(Fault(kind=kind, message=message, **where))

    def summary(self) -> list[str]:
        return [
            f"{count - _MAX_FAULTS_PER_KIND} more faults of kind {kind} not listed"
            for kind, count in self._per_kind.items()
            if count > _MAX_FAULTS_PER_KIND
        ]


def verify_log(*, workers: int = 1, check_nodes: bool = True) -> Report:
    """Check everything in one consistent snapshot; faults come in the order the checks met them.

    On PostgreSQL the checks run in a REPEATABLE READ transaction, and parallel workers
    join its exported snapshot, so a sequencer publishing meanwhile cannot make a sound
    log look broken. On SQLite the transaction gives the same, holding writers back meanwhile.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        snapshot = _begin_snapshot() if outermost else None
        faults = _Faults()
        heads = _load_heads()
        history, chain_error = signing.key_history()
        _check_key_history(history, chain_error, heads, faults)
        _check_heads(heads, history, faults)
        leaf_hashes = _rehash_leaves({h.tree_size for h in heads}, faults, workers, snapshot)
        levels = TreeLevels(leaf_hashes)
        _check_roots(heads, levels, faults)
        if check_nodes:
            _check_nodes(levels, faults)
        _check_unsequenced(faults)
        lag = sequencer_lag_seconds()
    report = Report(
        leaves=len(leaf_hashes),
        heads=len(heads),
        key_changes=len(history.changes),
        faults=faults.items,
        warnings=faults.summary(),
    )
    if signing.private_key_for(history.current) is None:
        report.warnings.append(
            f"the key in force, {signing.key_id(history.current)}, is not configured here: the sequencer "
            "cannot sign until AFX_AUDIT_SIGNING_KEY or AFX_AUDIT_SIGNING_KEY_NEXT holds it"
        )
    if lag > conf.lag_alert_seconds():
        report.warnings.append(f"the sequencer lags: the oldest queued event waits for {lag:.0f} s")
    return report


def _begin_snapshot() -> str | None:
    """Make this (outermost) transaction a read-only snapshot; return its id for workers to join."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        return str(cursor.fetchone()[0])


def _load_heads() -> list[_Head]:
    rows = SignedTreeHead.objects.order_by("number").values_list(
        "number", "tree_size", "root_hash", "timestamp_ms", "signature", "link_signature", "key_id"
    )
    return [
        _Head(number, size, bytes(root), timestamp_ms, bytes(signature), bytes(link_signature), key_id)
        for number, size, root, timestamp_ms, signature, link_signature, key_id in rows.iterator(
            chunk_size=_CHUNK
        )
    ]


def _check_key_history(
    history: KeyHistory, chain_error: KeyHistoryError | None, heads: list[_Head], faults: _Faults
) -> None:
    """The chain of key changes, each change's head, and that this gateway's keys are on the chain.

    Past a bad change the chain is not followed: the heads after it are then checked under
    the last key reached, and fail there, each named as signed by an unannounced key.
    """
    if chain_error is not None:
        faults.add("key_change_forged", f"the signing key chain is broken: {chain_error}")
    by_number = {head.number: head for head in heads}
    for change in history.changes:
        if change.head_number == 0:
            continue
        named = by_number.get(change.head_number)
        if named is None or named.tree_size != change.tree_size or named.root_hash != change.root_hash:
            faults.add(
                "key_change_mismatch",
                f"key change {change.number} names head {change.head_number} of {change.tree_size} leaves, "
                "which is not the stored head of that number",
                head_number=change.head_number,
            )
    configured = signing.configured_public_keys()
    if not set(history.keys).intersection(public_key_to_raw(key) for key in configured):
        names = ", ".join(signing.key_id(key) for key in configured)
        faults.add(
            "signing_key_unknown",
            f"no key configured here ({names}) is on the chain of key changes: it is not this gateway's",
        )


def _check_heads(heads: list[_Head], history: KeyHistory, faults: _Faults) -> None:
    """Signatures under the key in force at each head's number, the gap-free numbering and growth."""
    expected, previous = 1, None
    for current in heads:
        public_key = history.key_for_head(current.number)
        try:
            head = TreeHead(
                tree_size=current.tree_size, root_hash=current.root_hash, timestamp_ms=current.timestamp_ms
            )
            verify_head(public_key, head, current.signature)
            verify_link(public_key, current.number, head, current.link_signature)
        except ValueError as error:  # HeadSignatureError is one
            faults.add("head_forged", _forged(current, history, error), head_number=current.number)
        if current.number != expected:
            missing = (
                f"{expected}" if current.number == expected + 1 else f"{expected} to {current.number - 1}"
            )
            faults.add("heads_missing", f"head(s) {missing} are missing", head_number=expected)
        if previous is not None and (
            current.tree_size <= previous.tree_size or current.timestamp_ms < previous.timestamp_ms
        ):
            faults.add(
                "heads_out_of_order",
                f"head {current.number} does not grow from head {previous.number}",
                head_number=current.number,
            )
        expected, previous = current.number + 1, current


def _forged(current: _Head, history: KeyHistory, error: ValueError) -> str:
    """Why a head fails: signed by another key than the one in force (as its stored key id says;
    that id is not signed, so it only explains), one announced for other heads or none, or altered."""
    in_force = signing.key_id(history.key_for_head(current.number))
    if not current.key_id or current.key_id == in_force:
        return f"head {current.number} is forged or altered: {error}"
    if current.key_id in {signing.key_id(load_public_key_raw(key)) for key in history.keys}:
        return (
            f"head {current.number} is forged: signed by key {current.key_id}, which is not the key "
            f"in force at head {current.number} ({in_force})"
        )
    return (
        f"head {current.number} is forged: signed by key {current.key_id}, which no valid key "
        f"change leads to (the key in force at head {current.number} is {in_force})"
    )


def _rehash_leaves(batch_ends: set[int], faults: _Faults, workers: int, snapshot: str | None) -> list[bytes]:
    """Every event's leaf hash recomputed from its row, in leaf order; faults for what is off."""
    highest = SequencedLeaf.objects.aggregate(highest=Max("leaf_index"))["highest"]
    total = 0 if highest is None else highest + 1
    if workers > 1 and snapshot is not None and total >= _PARALLEL_MIN_LEAVES:
        bounds = [total * part // workers for part in range(workers + 1)]
        jobs = [(start, end, batch_ends, snapshot) for start, end in itertools.pairwise(bounds)]
        with multiprocessing.get_context("fork").Pool(workers, initializer=_fresh_connections) as pool:
            parts = pool.starmap(_rehash_in_snapshot, jobs)
    else:
        parts = [_rehash_range(0, total, batch_ends)]
    hashes: list[bytes] = []
    for part_hashes, part_faults in parts:
        hashes.extend(part_hashes)
        for fault in part_faults:
            faults.add(fault.kind, fault.message, **_where(fault))
    return hashes


def _fresh_connections() -> None:
    """In a forked worker: replace the parent's connection wrappers, which are mid-transaction,
    with new ones. The parent's connections are dropped unclosed (psycopg does not close a
    connection made by another process), so the parent's snapshot stays open for the workers."""
    for alias in connections:
        connections[alias] = connections.create_connection(alias)


def _rehash_in_snapshot(
    start: int, end: int, batch_ends: set[int], snapshot: str
) -> tuple[list[bytes], list[Fault]]:
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
            return _rehash_range(start, end, batch_ends)
    finally:
        connection.close()


def _where(fault: Fault) -> dict[str, int | None]:
    return {"event_id": fault.event_id, "leaf_index": fault.leaf_index, "head_number": fault.head_number}


def _rehash_range(start: int, end: int, batch_ends: set[int]) -> tuple[list[bytes], list[Fault]]:
    """Rehash the leaves with index in [start, end) from their events' rows, in leaf order.

    Where an event row is gone, its place keeps the stored leaf hash; where a leaf row is
    gone, a stand-in that matches nothing. Either way the roots can still be compared
    further on, and the hole is named.
    """
    faults = _Faults()
    hashes: list[bytes] = []
    expected = start
    previous_event = None
    for leaf_index, stored, event_id, row in leaf_rows(start, end):
        if leaf_index != expected:
            for missing in range(expected, leaf_index):
                faults.add("leaf_deleted", f"leaf {missing} is missing", leaf_index=missing)
                hashes.append(EMPTY_ROOT)
            previous_event = None
        if row is None:
            faults.add(
                "event_deleted",
                f"event {event_id} (leaf {leaf_index}) is missing: its row was deleted",
                event_id=event_id,
                leaf_index=leaf_index,
            )
            rehashed = stored
        else:
            rehashed = leaf_hash(row)
            if rehashed != stored:
                faults.add(
                    "event_edited",
                    f"event {event_id} (leaf {leaf_index}) is not what was sequenced: edited or swapped",
                    event_id=event_id,
                    leaf_index=leaf_index,
                )
        if previous_event is not None and event_id <= previous_event:
            faults.add(
                "leaf_out_of_order",
                f"leaf {leaf_index} (event {event_id}) is out of order within its batch",
                event_id=event_id,
                leaf_index=leaf_index,
            )
        hashes.append(rehashed)
        expected = leaf_index + 1
        previous_event = None if expected in batch_ends else event_id
    for missing in range(expected, end):
        faults.add("leaf_deleted", f"leaf {missing} is missing", leaf_index=missing)
        hashes.append(EMPTY_ROOT)
    return hashes, faults.items


def _check_roots(heads: list[_Head], levels: TreeLevels, faults: _Faults) -> None:
    """Every head's signed root against the rebuilt tree; the first mismatch bounds the damage."""
    size = levels.size
    previous_size = 0
    mismatched = False
    for current in heads:
        head_size = current.tree_size
        if head_size > size:
            faults.add(
                "head_beyond_tree",
                f"head {current.number} signs {head_size} leaves, the tree has {size}: leaves were deleted",
                head_number=current.number,
            )
            continue
        root = levels.subtree_root(0, head_size) if head_size else EMPTY_ROOT
        if root != current.root_hash and not mismatched:
            mismatched = True
            faults.add(
                "head_mismatch",
                f"head {current.number} does not match the events: leaves {previous_size} to {head_size - 1} "
                "were edited, deleted, inserted or reordered",
                head_number=current.number,
                leaf_index=previous_size,
            )
        previous_size = head_size
    last_size = heads[-1].tree_size if heads else 0
    if size > last_size:
        faults.add(
            "leaves_unsigned",
            f"leaves {last_size} to {size - 1} are in no signed head: heads were deleted or leaves inserted",
            leaf_index=last_size,
        )


def _check_nodes(levels: TreeLevels, faults: _Faults) -> None:
    """The stored nodes that proofs are served from must be the rebuilt tree's nodes."""
    size = levels.size
    expected_count = sum(size >> level for level in range(2, size.bit_length(), 2))
    nodes = MerkleNode.objects.order_by().values_list("position", "hash")
    count = 0
    for packed, value in nodes.iterator(chunk_size=_CHUNK):
        level, index = node_key(packed)
        count += 1
        start, end = index << level, (index + 1) << level
        if end > size or levels.subtree_root(start, end) != bytes(value):
            faults.add("node_mismatch", f"stored tree node {level}/{index} is wrong; proofs over it fail")
    if count != expected_count:
        faults.add("node_missing", f"{expected_count} tree nodes expected, {count} stored")


def _check_unsequenced(faults: _Faults) -> None:
    """An event neither in the tree nor queued was slipped in behind the sequencer's back."""
    in_tree = SequencedLeaf.objects.filter(event_id=OuterRef("id"))
    queued = UnsequencedEvent.objects.filter(event_id=OuterRef("id"))
    strays = AuditEvent.objects.filter(~Exists(in_tree), ~Exists(queued)).order_by("id")
    for event_id in strays.values_list("id", flat=True)[: _MAX_FAULTS_PER_KIND + 1]:
        faults.add(
            "event_inserted",
            f"event {event_id} is in no leaf and not queued: inserted behind the sequencer's back",
            event_id=event_id,
        )
