"""RFC 6962 / RFC 9162 Merkle tree algorithms for the tamper-evident audit log.

The audit log proves two things to people outside AFX without asking them to trust
our database. Inclusion proofs show that an event is in a signed tree head. Consistency
proofs show that a later head extends an earlier one, so history was only ever appended
to. Both only mean something if we hash exactly as RFC 6962 section 2.1 (RFC 9162
section 2.1) says. This module does that and nothing else: it has no Django, no I/O and no
clock, so the sequencer and an outside verifier run the same code.

Hashing (SHA-256, 32 bytes):

* leaf hash = SHA-256(0x00 || leaf bytes)
* node hash = SHA-256(0x01 || left || right)
* the root of the empty tree is SHA-256 of the empty string.

The different 0x00 and 0x01 prefixes keep a leaf from passing as an inner node
(second-preimage resistance).

Proof generation never reads leaves directly. It asks a `SubtreeRoot` callable for the
root of a leaf range, so the storage layer decides what to cache; see `SubtreeRoot`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "ProofError",
    "SubtreeRoot",
    "TreeLevels",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

EMPTY_ROOT: bytes = _sha256(b"").digest()
"""MTH({}) per RFC 6962: the root of a tree with no leaves, the hash of the empty string."""

SubtreeRoot = Callable[[int, int], bytes]
"""``subtree_root(start, end)`` returns MTH(D[start:end]), the root over leaves [start, end).

Proof generation asks for O(log n) ranges, and only ranges that are nodes of the full tree:
``0 <= start < end`` and ``start`` is a multiple of the smallest power of two that is at
least ``end - start``. So every range is one of two kinds:

* a perfect subtree: ``end - start == 2**k`` and ``start % 2**k == 0``. Its root never
  changes once those leaves exist, so a database can cache it for good (keyed by level
  ``k`` and index ``start >> k``);
* a right-border subtree of the tree of size ``end``. Its root is a right fold of the
  perfect subtrees that make up the range (one per set bit of ``end - start``,
  largest first), so it can be built from that cache in O(log n) hashes.

`TreeLevels.subtree_root` works like this in memory. Passing a plain list of leaf hashes
to the proof functions uses the simple default instead: hash the range again on each call.
"""


class ProofError(ValueError):
    """A Merkle proof, or the sizes and hashes it was checked against, did not verify.

    A subclass of ValueError so that callers that treat bad input generically still catch
    it, while the audit verifier can tell "this proof is wrong" from programming errors.
    """


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf's bytes with the 0x00 domain prefix (RFC 6962 section 2.1)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes with the 0x01 domain prefix (RFC 6962 section 2.1)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Return MTH over the given leaf hashes, the root a tree head signs.

    The tree is built level by level instead of with the RFC's recursive split. Both give
    the same tree: at each level an odd last node is carried up unchanged and becomes a
    right child higher up. A level costs one list comprehension and there is no recursion,
    so a million leaves take well under a second in CPython (see benchmarks/bench_merkle.py).
    """
    _require_hash_sizes(hashes, "leaf hash")
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        carried = [level[-1]] if len(level) % 2 else []
        level = _parent_level(level) + carried
    return level[0]


def _parent_level(level: list[bytes]) -> list[bytes]:
    """Hash adjacent pairs of a level; an odd last node has no partner and is left out."""
    lefts, rights = level[::2], level[1::2]
    return [_sha256(_NODE_PREFIX + left + right).digest() for left, right in zip(lefts, rights, strict=False)]


def _fold_right(subtree_roots: Sequence[bytes]) -> bytes:
    """Join perfect-subtree roots, ordered left to right, into the root over all of them.

    MTH splits a range at its largest power of two, so a range made of perfect subtrees of
    decreasing size has root node(first, node(second, node(...))).
    """
    root = subtree_roots[-1]
    for left in reversed(subtree_roots[:-1]):
        root = node_hash(left, root)
    return root


def _require_hash_sizes(hashes: Iterable[bytes], what: str) -> None:
    """Reject values that are not SHA-256 hashes.

    Raw leaf data passed by mistake would otherwise give a root that looks fine but that
    nobody else can reproduce.
    """
    for value in hashes:
        if len(value) != HASH_SIZE:
            raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


class CompactRange:
    """Appends leaf hashes one at a time and gives the root at the current size.

    The state is the roots of the perfect subtrees that cover leaves [0, size): one per set
    bit of ``size``, largest first, so at most 64 hashes for any log. That is all the
    sequencer has to store (see `to_bytes`) to resume appending after a restart without
    reading old leaves again. Appending works like a binary counter: equal-sized subtrees
    merge as the carry moves up.
    """

    __slots__ = ("_size", "_subtree_roots")

    _STATE_VERSION = 1
    _HEADER_SIZE = 9  # 1 version byte + 8-byte big-endian size

    def __init__(self) -> None:
        self._size = 0
        self._subtree_roots: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf hash at index `size`. Costs O(1) amortised and at most 64 hashes."""
        _require_hash_sizes((leaf_hash,), "leaf hash")
        merged, size = leaf_hash, self._size
        while size & 1:
            merged = node_hash(self._subtree_roots.pop(), merged)
            size >>= 1
        self._subtree_roots.append(merged)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append several leaf hashes in order."""
        for value in leaf_hashes:
            self.append(value)

    def root(self) -> bytes:
        """Return MTH over every leaf appended so far (`EMPTY_ROOT` while empty)."""
        return _fold_right(self._subtree_roots) if self._subtree_roots else EMPTY_ROOT

    def to_bytes(self) -> bytes:
        """Serialise the state for storage.

        Layout: 1 version byte (1), the size as an 8-byte big-endian integer, then the
        ``popcount(size)`` perfect-subtree roots, 32 bytes each, largest (leftmost) first.
        """
        header = bytes([self._STATE_VERSION]) + self._size.to_bytes(8, "big")
        return header + b"".join(self._subtree_roots)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        """Restore the state written by `to_bytes`.

        Only the layout can be checked here. The caller should compare `root()` with the
        root of the last signed tree head before appending more.
        """
        if len(data) < cls._HEADER_SIZE or data[0] != cls._STATE_VERSION:
            raise ValueError("not a version 1 compact range state")
        size = int.from_bytes(data[1 : cls._HEADER_SIZE], "big")
        body = data[cls._HEADER_SIZE :]
        expected = size.bit_count() * HASH_SIZE
        if len(body) != expected:
            raise ValueError(f"compact range of size {size} needs {expected} hash bytes, got {len(body)}")
        restored = cls()
        restored._size = size
        restored._subtree_roots = [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]
        return restored


class TreeLevels:
    """Every perfect-subtree root of a fixed list of leaf hashes, kept in memory.

    Building it costs about n hashes and holds about 2n hashes. After that
    `subtree_root` answers any node range in O(log n) hashes, so one proof costs
    O(log² n) hashes instead of O(n). Use it when many proofs come from one snapshot
    (benchmarks, bulk export). It also shows how a database-backed `SubtreeRoot` should work.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        _require_hash_sizes(leaf_hashes, "leaf hash")
        levels = [list(leaf_hashes)]
        while len(levels[-1]) > 1:
            levels.append(_parent_level(levels[-1]))
        self._levels = levels

    @property
    def size(self) -> int:
        """Number of leaves in the snapshot."""
        return len(self._levels[0])

    def subtree_root(self, start: int, end: int) -> bytes:
        """Return MTH(D[start:end]) for a range of the kind `SubtreeRoot` describes.

        Raises ValueError if the range is outside the snapshot or does not split into
        aligned perfect subtrees. Such a range is not a tree node, so asking for one is a
        bug in the caller.
        """
        if not 0 <= start < end <= self.size:
            raise ValueError(f"range [{start}, {end}) is empty or outside a tree of size {self.size}")
        pieces: list[bytes] = []
        position, width = start, end - start
        for level in reversed(range(width.bit_length())):
            if width >> level & 1:
                if position % (1 << level):
                    raise ValueError(f"range [{start}, {end}) is not a node of the Merkle tree")
                pieces.append(self._levels[level][position >> level])
                position += 1 << level
        return _fold_right(pieces)


def _largest_power_of_two_below(n: int) -> int:
    """Return the k of RFC 6962's split: the largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _as_subtree_root(source: SubtreeRoot | Sequence[bytes], tree_size: int) -> SubtreeRoot:
    """Accept a `SubtreeRoot` as is, or wrap a list of leaf hashes in the simple default."""
    if callable(source):
        return source
    if tree_size > len(source):
        raise ValueError(f"tree size {tree_size} exceeds the {len(source)} leaf hashes given")
    leaf_hashes = source

    def rehash_range(start: int, end: int) -> bytes:
        return root_from_leaf_hashes(leaf_hashes[start:end])

    return rehash_range


def inclusion_proof(leaf_index: int, tree_size: int, source: SubtreeRoot | Sequence[bytes]) -> list[bytes]:
    """Return the audit path of one leaf in the tree of `tree_size` leaves (RFC 9162 2.1.3.1).

    `source` is a `SubtreeRoot`, or the leaf hashes (at least `tree_size` of them). The
    RFC's recursive PATH(m, D[n]) is walked from the root down. At each level we keep the
    half that holds the leaf and record the root of the other half. Reversed, that list is
    the proof, ordered leaf to root as `verify_inclusion` expects.
    """
    if not 0 <= leaf_index < tree_size:
        raise ValueError(f"leaf index {leaf_index} is outside a tree of size {tree_size}")
    subtree_root = _as_subtree_root(source, tree_size)
    siblings: list[bytes] = []
    start, end = 0, tree_size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if leaf_index < split:
            siblings.append(subtree_root(split, end))
            end = split
        else:
            siblings.append(subtree_root(start, split))
            start = split
    siblings.reverse()
    return siblings


def consistency_proof(size1: int, size2: int, source: SubtreeRoot | Sequence[bytes]) -> list[bytes]:
    """Return the proof that the tree of `size2` leaves extends the one of `size1` (RFC 9162 2.1.4.1).

    `source` is a `SubtreeRoot`, or the leaf hashes (at least `size2` of them). It requires
    ``0 < size1 <= size2``. Every tree extends the empty tree, so there is nothing to prove
    from size 0, and `verify_consistency` rejects it. The RFC's recursive
    SUBPROOF(m, D[n], b) is walked from the root down, as in `inclusion_proof`. ``b``
    becomes false once the walk leaves the old tree's left edge. Then the old tree's last
    subtree is not one the verifier already knows, so its root goes into the proof.
    """
    if not 0 < size1 <= size2:
        raise ValueError(f"a consistency proof needs 0 < size1 <= size2, got {size1} and {size2}")
    subtree_root = _as_subtree_root(source, size2)
    proof: list[bytes] = []
    start, end, on_left_edge = 0, size2, True
    while end != size1:
        split = start + _largest_power_of_two_below(end - start)
        if size1 <= split:
            proof.append(subtree_root(split, end))
            end = split
        else:
            proof.append(subtree_root(start, split))
            start, on_left_edge = split, False
    if not on_left_edge:
        proof.append(subtree_root(start, end))
    proof.reverse()
    return proof


def _shift_while_right_child_of_border(fn: int, sn: int) -> tuple[int, int]:
    """RFC 9162 step "right-shift fn and sn until LSB(fn) is set or fn is 0".

    On the tree's right border a node can be carried up without a sibling. Those levels use
    no proof hash, so they are skipped.
    """
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` is leaf `leaf_index` of the tree with `root` (RFC 9162 2.1.3.2).

    Returns None on success and raises ProofError otherwise. The proof length must match
    the leaf's path exactly, so an attacker cannot pad or trim it.
    """
    if not 0 <= leaf_index < tree_size:
        raise ProofError(f"leaf index {leaf_index} is outside a tree of size {tree_size}")
    _require_proof_hashes((leaf_hash,), "leaf hash")
    _require_proof_hashes(proof, "proof hash")
    fn, sn, computed = leaf_index, tree_size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof has more than the path's hashes ({len(proof)} given)")
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            fn, sn = _shift_while_right_child_of_border(fn, sn)
        else:
            computed = node_hash(computed, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"inclusion proof is too short ({len(proof)} hashes) for this index and size")
    if computed != root:
        raise ProofError(f"leaf {leaf_index} is not in the tree of size {tree_size} with this root")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree (`size2`, `root2`) extends the tree (`size1`, `root1`) (RFC 9162 2.1.4.2).

    Returns None on success and raises ProofError otherwise. The edge cases follow the
    transparency-dev/merkle reference, and the test vectors check them. ``size1 == 0`` is
    rejected because every tree extends the empty tree, so such a proof shows nothing.
    Equal sizes need an empty proof and identical roots.
    """
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1}): trees only grow")
    if size1 <= 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("trees of equal size need an empty consistency proof")
        if root1 != root2:
            raise ProofError(f"two different roots for the same tree size {size1}")
        return
    if not proof:
        raise ProofError(f"empty consistency proof between sizes {size1} and {size2}")
    _require_proof_hashes(proof, "proof hash")
    computed1, computed2 = _roots_from_consistency_path(size1, size2, proof, root1)
    if computed1 != root1:
        raise ProofError(f"consistency proof does not reproduce the root of size {size1}")
    if computed2 != root2:
        raise ProofError(f"consistency proof does not lead from size {size1} to the root of size {size2}")


def _roots_from_consistency_path(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> tuple[bytes, bytes]:
    """Run RFC 9162 2.1.4.2 steps 2-6 and return the recomputed (old root, new root).

    If size1 is a power of two, the old tree is a whole node of the new one, so the proof
    leaves it out and the verifier starts from root1.
    """
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old = new = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof has too many hashes ({len(proof)} given)")
        if fn & 1 or fn == sn:
            old, new = node_hash(sibling, old), node_hash(sibling, new)
            fn, sn = _shift_while_right_child_of_border(fn, sn)
        else:
            new = node_hash(new, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"consistency proof is too short ({len(proof)} hashes) for these sizes")
    return old, new


def _require_proof_hashes(hashes: Iterable[bytes], what: str) -> None:
    """Like `_require_hash_sizes`, but raises ProofError: here bad bytes come from outside."""
    try:
        _require_hash_sizes(hashes, what)
    except ValueError as exc:
        raise ProofError(str(exc)) from None
