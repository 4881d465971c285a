"""Inclusion and consistency proofs read from the stored tree in two queries each.

`audit.merkle` generates proofs from any `SubtreeRoot` callable. A proof needs O(log n)
subtree roots; asking the database for each as the walk goes would cost a round trip per
level. So each proof is generated twice: a dry run with a stand-in callable records which
ranges the walk asks for, those ranges' perfect subtrees are fetched at once (leaves from
`SequencedLeaf`, inner nodes from `MerkleNode`), and the real run folds them. The walk
depends only on the sizes and the index, never on hash values, so both runs ask the same.
A node of odd level is not stored and is hashed from its two children (`audit.tree`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TypeVar

from django.db import connection

from .merkle import HASH_SIZE, SubtreeRoot, consistency_proof, inclusion_proof, node_hash
from .models import MerkleNode, SequencedLeaf
from .tree import NodeKey, fold, perfect_nodes, position, stored_children

ProofRun = Callable[[SubtreeRoot], list[bytes]]
_PLACEHOLDER = bytes(HASH_SIZE)
_FETCH_CHUNK = 500  # keys per statement; SQLite allows 999 parameters
LEAVES = SequencedLeaf._meta.db_table
NODES = MerkleNode._meta.db_table
_T = TypeVar("_T")


class MissingTreeNode(LookupError):
    """A node the proof needs is not stored: the tree tables were damaged; run `audit_verify`."""


def inclusion_proof_for(leaf_index: int, tree_size: int) -> list[bytes]:
    """The audit path of leaf `leaf_index` in the tree of `tree_size` leaves."""
    return _run_with_stored_nodes([partial(inclusion_proof, leaf_index, tree_size)])[0]


def consistency_proofs_for(size_pairs: Sequence[tuple[int, int]]) -> list[list[bytes]]:
    """A consistency proof for each (size1, size2) pair, all from one fetch of the nodes they need."""
    runs: list[ProofRun] = [partial(consistency_proof, size1, size2) for size1, size2 in size_pairs]
    return _run_with_stored_nodes(runs)


def _run_with_stored_nodes(runs: Sequence[ProofRun]) -> list[list[bytes]]:
    wanted: set[NodeKey] = set()

    def record(start: int, end: int) -> bytes:
        wanted.update(child for key in perfect_nodes(start, end) for child in stored_children(key))
        return _PLACEHOLDER

    for run in runs:
        run(record)
    stored = _stored_roots(wanted)

    def node(key: NodeKey) -> bytes:
        children = stored_children(key)
        return stored[key] if children == [key] else node_hash(stored[children[0]], stored[children[1]])

    def stored_root(start: int, end: int) -> bytes:
        return fold([node(key) for key in perfect_nodes(start, end)])

    return [run(stored_root) for run in runs]


def _stored_roots(wanted: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """Fetch the wanted leaves and nodes, in one round trip per few hundred (one for a proof).

    Plain SQL: a proof is a couple of dozen rows, and the ORM would spend longer building
    the statement than the database spends answering it.
    """
    keys = sorted(set(wanted))
    found: dict[NodeKey, bytes] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(keys):
            sql, params = _fetch_statement(chunk)
            cursor.execute(sql, params)
            found.update(((level, index), bytes(value)) for level, index, value in cursor.fetchall())
    missing = set(keys) - found.keys()
    if missing:
        raise MissingTreeNode(f"tree nodes (level, index) not stored: {sorted(missing)[:5]}")
    return found


def _fetch_statement(keys: list[NodeKey]) -> tuple[str, list[int]]:
    """One statement for leaves and nodes: (level, index, hash) rows, level 0 for leaves."""
    leaves = [index for level, index in keys if level == 0]
    nodes = [position(key) for key in keys if key[0] > 0]
    parts = []
    if leaves:
        marks = ", ".join(["%s"] * len(leaves))
        parts.append(f"SELECT 0, leaf_index, leaf_hash FROM {LEAVES} WHERE leaf_index IN ({marks})")  # noqa: S608
    if nodes:
        marks = ", ".join(["%s"] * len(nodes))
        parts.append(f"SELECT position & 63, position / 64, hash FROM {NODES} WHERE position IN ({marks})")  # noqa: S608
    return " UNION ALL ".join(parts), leaves + nodes


def _chunks(items: list[_T]) -> Iterable[list[_T]]:
    for offset in range(0, len(items), _FETCH_CHUNK):
        yield items[offset : offset + _FETCH_CHUNK]
