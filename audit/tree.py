"""Storage-side Merkle helpers: which nodes a batch of leaves completes, which nodes a range needs.

`audit.merkle` (pure RFC 6962) computes roots and proofs; this module maps them onto the
`MerkleNode` table. A node is named (level, index): level 0 is a leaf, and node (l, i)
covers leaves [i * 2**l, (i + 1) * 2**l). Only perfect subtrees are stored, because only
they never change; everything else is folded from them in O(log n) hashes.

Only even levels are stored (level 0 as `SequencedLeaf.leaf_hash`, levels 2, 4, ... as
`MerkleNode`): a node of odd level is one hash of its two stored children. That keeps a
third as many node rows as leaves instead of as many, for one extra row and hash per
proof level, and makes sequencing and `audit_verify` correspondingly cheaper.
"""

from __future__ import annotations

from collections.abc import Sequence

from .merkle import CompactRange, node_hash

NodeKey = tuple[int, int]
HASH_SIZE = 32


def left_edge(state: CompactRange) -> dict[int, bytes]:
    """The perfect subtrees that cover a tree of `state.size` leaves, by level.

    For every set bit `l` of the size there is one, node (l, (size >> l) - 1). They are what
    `CompactRange` keeps; its serialisation lists them largest first after a 9-byte header.
    """
    body = state.to_bytes()[9:]
    roots = [body[offset : offset + HASH_SIZE] for offset in range(0, len(body), HASH_SIZE)]
    levels = [level for level in reversed(range(state.size.bit_length())) if state.size >> level & 1]
    return dict(zip(levels, roots, strict=True))


def completed_nodes(
    start: int, leaf_hashes: Sequence[bytes], edge: dict[int, bytes]
) -> list[tuple[int, int, bytes]]:
    """Every node (level >= 1) that leaves [start, start + len(leaf_hashes)) complete, with its hash.

    At level l the new complete nodes are indices [start >> l, end >> l). When the first of
    a row is a right child, its left sibling is an old node, which is always on the old
    tree's left edge. A trailing left child has no sibling yet and waits for a later batch.
    """
    nodes: list[tuple[int, int, bytes]] = []
    level, first, row = 0, start, list(leaf_hashes)
    while row:
        if first & 1:
            row.insert(0, edge[level])
            first -= 1
        parents = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level, first = level + 1, first >> 1
        nodes.extend((level, first + offset, value) for offset, value in enumerate(parents))
        row = parents
    return nodes


def position(key: NodeKey) -> int:
    """The `MerkleNode.position` of node (level, index): ``index * 64 + level``."""
    level, index = key
    return index << 6 | level


def node_key(packed: int) -> NodeKey:
    """The (level, index) of a `MerkleNode.position`."""
    return packed & 63, packed >> 6


def is_stored(level: int) -> bool:
    """Whether nodes of this level have rows in `MerkleNode` (level 0 lives in the leaves)."""
    return level >= 2 and level % 2 == 0


def stored_children(key: NodeKey) -> list[NodeKey]:
    """The stored nodes a node is read from: itself, or its two children if its level is odd."""
    level, index = key
    if level % 2 == 0:
        return [key]
    return [(level - 1, 2 * index), (level - 1, 2 * index + 1)]


def perfect_nodes(start: int, end: int) -> list[NodeKey]:
    """Split the node range [start, end) into its perfect subtrees, left to right (largest first)."""
    keys: list[NodeKey] = []
    position, width = start, end - start
    for level in reversed(range(width.bit_length())):
        if width >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def fold(subtree_roots: Sequence[bytes]) -> bytes:
    """Join perfect-subtree roots, left to right and decreasing in size, into their range's root."""
    root = subtree_roots[-1]
    for left in reversed(subtree_roots[:-1]):
        root = node_hash(left, root)
    return root
