"""Tests for audit.merkle against the transparency-dev RFC 6962 vectors and with hypothesis.

The vectors in rfc6962_vectors/ come from another implementation (see NOTICE.md), so they
are the outside check. The property tests then cover sizes and positions the vectors miss.
They compare against `_reference_root`, a literal transcription of the RFC's recursive
definition, which the production code does not use.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    TreeLevels,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "rfc6962_vectors"
INCLUSION_FILES = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY_FILES = sorted((VECTORS / "consistency").rglob("*.json"))

# The eight leaves behind the vectors' roots: `leaves` in transparency-dev/merkle
# proof/verify_test.go, originally from Certificate Transparency's Merkle tree tests.
STANDARD_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
STANDARD_HASHES = [leaf_hash(data) for data in STANDARD_LEAVES]

MAX_LEAVES = 300
PROPERTY_SETTINGS = settings(deadline=None, max_examples=150)


def _vector_id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    return case


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(item) for item in case["proof"] or []]


def _happy_paths(files: list[Path]) -> list[Path]:
    return [path for path in files if path.name == "happy-path.json"]


def _reference_root(hashes: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 section 2.1 writes it: recursive, split at the largest power of 2."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + _reference_root(hashes[:k]) + _reference_root(hashes[k:])).digest()


def _flip_bit(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def _roots_by_size(hashes: list[bytes]) -> list[bytes]:
    """roots[n] is the root over the first n leaves, for every n up to len(hashes)."""
    builder, roots = CompactRange(), [EMPTY_ROOT]
    for value in hashes:
        builder.append(value)
        roots.append(builder.root())
    return roots


@st.composite
def leaf_lists(draw: st.DrawFn, min_size: int = 1) -> list[bytes]:
    """Distinct leaf hashes (an index makes each one unique), up to MAX_LEAVES of them."""
    size = draw(st.integers(min_size, MAX_LEAVES))
    salt = draw(st.binary(max_size=8))
    return [leaf_hash(salt + index.to_bytes(4, "big")) for index in range(size)]


# --- transparency-dev vectors --------------------------------------------------------------


def test_all_vectors_were_copied() -> None:
    assert len(INCLUSION_FILES) == 98
    assert len(CONSISTENCY_FILES) == 98
    assert (VECTORS / "LICENSE").is_file()


@pytest.mark.parametrize("path", INCLUSION_FILES, ids=_vector_id)
def test_inclusion_vector(path: Path) -> None:
    case = _load(path)
    args = (case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case), _b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=_vector_id)
def test_consistency_vector(path: Path) -> None:
    case = _load(path)
    args = (case["size1"], case["size2"], _proof(case), _b64(case["root1"]), _b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def _reference_roots() -> dict[int, bytes]:
    """Tree size -> root, taken from every happy-path vector."""
    roots: dict[int, bytes] = {}
    for path in _happy_paths(INCLUSION_FILES):
        case = _load(path)
        roots[case["treeSize"]] = _b64(case["root"])
    for path in _happy_paths(CONSISTENCY_FILES):
        case = _load(path)
        roots[case["size1"]] = _b64(case["root1"])
        roots[case["size2"]] = _b64(case["root2"])
    return roots


@pytest.mark.parametrize(("size", "root"), sorted(_reference_roots().items()))
def test_root_of_standard_leaves_matches_vector(size: int, root: bytes) -> None:
    builder = CompactRange()
    builder.extend(STANDARD_HASHES[:size])
    assert root_from_leaf_hashes(STANDARD_HASHES[:size]) == root
    assert builder.root() == root
    assert TreeLevels(STANDARD_HASHES).subtree_root(0, size) == root


def test_reference_roots_cover_the_first_sizes() -> None:
    assert {1, 2, 3, 5, 6, 7, 8} <= set(_reference_roots())


@pytest.mark.parametrize("path", _happy_paths(INCLUSION_FILES), ids=_vector_id)
def test_generated_inclusion_proof_matches_vector(path: Path) -> None:
    case = _load(path)
    index, size = case["leafIdx"], case["treeSize"]
    assert STANDARD_HASHES[index] == _b64(case["leafHash"])
    assert inclusion_proof(index, size, STANDARD_HASHES) == _proof(case)


@pytest.mark.parametrize("path", _happy_paths(CONSISTENCY_FILES), ids=_vector_id)
def test_generated_consistency_proof_matches_vector(path: Path) -> None:
    case = _load(path)
    assert consistency_proof(case["size1"], case["size2"], STANDARD_HASHES) == _proof(case)


# --- hashing and roots ------------------------------------------------------------------------


def test_hash_constants() -> None:
    """Published values: SHA-256("") and the RFC 6962 hash of the empty leaf."""
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT


@given(st.binary(), st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_leaf_and_node_hashes_are_domain_separated(data: bytes, left: bytes, right: bytes) -> None:
    assert leaf_hash(data) == hashlib.sha256(b"\x00" + data).digest()
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(left + right) != node_hash(left, right)


@pytest.mark.parametrize("size", range(70))
def test_batch_root_matches_rfc_definition(size: int) -> None:
    hashes = [leaf_hash(index.to_bytes(2, "big")) for index in range(size)]
    assert root_from_leaf_hashes(hashes) == _reference_root(hashes)


@PROPERTY_SETTINGS
@given(leaf_lists())
def test_batch_root_matches_rfc_definition_random(hashes: list[bytes]) -> None:
    assert root_from_leaf_hashes(hashes) == _reference_root(hashes)


def test_root_rejects_values_that_are_not_hashes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        root_from_leaf_hashes([b"raw event bytes"])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"raw event bytes")


# --- incremental builder ----------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(leaf_lists())
def test_compact_range_matches_batch_root_at_every_size(hashes: list[bytes]) -> None:
    roots = _roots_by_size(hashes)
    for size, root in enumerate(roots):
        assert root == root_from_leaf_hashes(hashes[:size])


@PROPERTY_SETTINGS
@given(leaf_lists(), st.data())
def test_compact_range_resumes_from_serialised_state(hashes: list[bytes], data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(hashes)), label="cut")
    before = CompactRange()
    before.extend(hashes[:cut])
    state = before.to_bytes()
    assert len(state) == 9 + 32 * cut.bit_count()

    resumed = CompactRange.from_bytes(state)
    assert resumed.size == cut
    assert resumed.root() == before.root()
    assert resumed.to_bytes() == state
    expected = _roots_by_size(hashes)
    for size in range(cut + 1, len(hashes) + 1):
        resumed.append(hashes[size - 1])
        assert resumed.root() == expected[size]


@pytest.mark.parametrize(
    "state",
    [
        b"",
        bytes([2]) + (0).to_bytes(8, "big"),  # unknown version
        bytes([1]) + (3).to_bytes(8, "big") + bytes(32),  # size 3 needs two hashes
        bytes([1]) + (1).to_bytes(8, "big") + bytes(33),  # trailing byte
        bytes([1]) + (0).to_bytes(7, "big"),  # truncated header
    ],
)
def test_compact_range_rejects_malformed_state(state: bytes) -> None:
    with pytest.raises(ValueError, match="compact range"):
        CompactRange.from_bytes(state)


# --- proof generation -------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(leaf_lists(), st.data())
def test_proof_sources_agree(hashes: list[bytes], data: st.DataObject) -> None:
    """A list of hashes and TreeLevels.subtree_root are two sources for the same proofs."""
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old_size = data.draw(st.integers(1, size), label="old_size")
    levels = TreeLevels(hashes)
    assert inclusion_proof(index, size, hashes) == inclusion_proof(index, size, levels.subtree_root)
    assert consistency_proof(old_size, size, hashes) == consistency_proof(old_size, size, levels.subtree_root)


@PROPERTY_SETTINGS
@given(leaf_lists(min_size=2), st.data())
def test_proofs_ask_only_for_few_aligned_ranges(hashes: list[bytes], data: st.DataObject) -> None:
    """The promise SubtreeRoot makes to cache implementers: O(log n) calls, only tree nodes."""
    size = len(hashes)
    index = data.draw(st.integers(0, size - 1), label="index")
    old_size = data.draw(st.integers(1, size), label="old_size")
    asked: list[tuple[int, int]] = []

    def recording_source(start: int, end: int) -> bytes:
        asked.append((start, end))
        return root_from_leaf_hashes(hashes[start:end])

    inclusion_proof(index, size, recording_source)
    consistency_proof(old_size, size, recording_source)
    depth = (size - 1).bit_length()
    assert len(asked) <= 2 * depth + 1
    for start, end in asked:
        assert 0 <= start < end <= size
        assert start % (1 << (end - start - 1).bit_length()) == 0


def test_tree_levels_rejects_ranges_that_are_not_nodes() -> None:
    levels = TreeLevels(STANDARD_HASHES)
    with pytest.raises(ValueError, match="not a node"):
        levels.subtree_root(1, 3)
    with pytest.raises(ValueError, match="outside"):
        levels.subtree_root(4, 9)
    with pytest.raises(ValueError, match="outside"):
        levels.subtree_root(3, 3)


def test_proof_generation_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(8, 8, STANDARD_HASHES)
    with pytest.raises(ValueError, match="exceeds"):
        inclusion_proof(0, 9, STANDARD_HASHES)
    with pytest.raises(ValueError, match="0 < size1"):
        consistency_proof(0, 8, STANDARD_HASHES)
    with pytest.raises(ValueError, match="0 < size1"):
        consistency_proof(5, 4, STANDARD_HASHES)


# --- inclusion proofs -------------------------------------------------------------------------


@st.composite
def inclusion_cases(draw: st.DrawFn, min_size: int = 1) -> tuple[list[bytes], int, int, list[bytes]]:
    """Leaves, a tree size (possibly older than the newest leaf), an index and its proof."""
    hashes = draw(leaf_lists(min_size=min_size))
    size = draw(st.integers(min_size, len(hashes)), label="size")
    index = draw(st.integers(0, size - 1), label="index")
    return hashes, size, index, inclusion_proof(index, size, hashes)


@PROPERTY_SETTINGS
@given(inclusion_cases())
def test_inclusion_proof_verifies(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    hashes, size, index, proof = case
    verify_inclusion(index, size, hashes[index], proof, _reference_root(hashes[:size]))


@PROPERTY_SETTINGS
@given(inclusion_cases(min_size=2), st.data())
def test_inclusion_rejects_flipped_bit(
    case: tuple[list[bytes], int, int, list[bytes]], data: st.DataObject
) -> None:
    hashes, size, index, proof = case
    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    bit = data.draw(st.integers(0, 255), label="bit")
    proof[position] = _flip_bit(proof[position], bit)
    with pytest.raises(ProofError, match="not in the tree"):
        verify_inclusion(index, size, hashes[index], proof, root_from_leaf_hashes(hashes[:size]))


@PROPERTY_SETTINGS
@given(inclusion_cases())
def test_inclusion_rejects_wrong_index(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    hashes, size, index, proof = case
    root = root_from_leaf_hashes(hashes[:size])
    for other in range(size + 1):
        if other != index:
            with pytest.raises(ProofError):
                verify_inclusion(other, size, hashes[index], proof, root)


@PROPERTY_SETTINGS
@given(inclusion_cases())
def test_inclusion_rejects_wrong_size(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    hashes, size, index, proof = case
    roots = _roots_by_size(hashes)
    # The reference implementation's corruptions: same root, doubled or halved size.
    for wrong_size in (size * 2, size // 2):
        with pytest.raises(ProofError):
            verify_inclusion(index, wrong_size, hashes[index], proof, roots[size])
    # Every other size that holds the leaf, checked against that size's real root.
    for other in range(index + 1, len(hashes) + 1):
        if other != size:
            with pytest.raises(ProofError):
                verify_inclusion(index, other, hashes[index], proof, roots[other])


@PROPERTY_SETTINGS
@given(inclusion_cases())
def test_inclusion_rejects_padded_or_trimmed_proof(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    hashes, size, index, proof = case
    root = root_from_leaf_hashes(hashes[:size])
    with pytest.raises(ProofError, match="more than"):
        verify_inclusion(index, size, hashes[index], [*proof, root], root)
    if proof:
        with pytest.raises(ProofError, match="too short"):
            verify_inclusion(index, size, hashes[index], proof[:-1], root)


def test_inclusion_rejects_hashes_of_wrong_length() -> None:
    proof = inclusion_proof(2, 8, STANDARD_HASHES)
    root = root_from_leaf_hashes(STANDARD_HASHES)
    with pytest.raises(ProofError, match="leaf hash must be 32 bytes"):
        verify_inclusion(2, 8, STANDARD_LEAVES[2], proof, root)
    with pytest.raises(ProofError, match="proof hash must be 32 bytes"):
        verify_inclusion(2, 8, STANDARD_HASHES[2], [*proof[:-1], proof[-1][:31]], root)


# --- consistency proofs -----------------------------------------------------------------------


@st.composite
def consistency_cases(draw: st.DrawFn) -> tuple[list[bytes], int, int, list[bytes]]:
    """Leaves, an old size, a new size and the proof between them (sizes may be equal)."""
    hashes = draw(leaf_lists())
    new_size = draw(st.integers(1, len(hashes)), label="new_size")
    old_size = draw(st.integers(1, new_size), label="old_size")
    return hashes, old_size, new_size, consistency_proof(old_size, new_size, hashes)


@PROPERTY_SETTINGS
@given(consistency_cases())
def test_consistency_proof_verifies(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    hashes, old, new, proof = case
    verify_consistency(old, new, proof, _reference_root(hashes[:old]), _reference_root(hashes[:new]))


@PROPERTY_SETTINGS
@given(consistency_cases(), st.data())
def test_consistency_rejects_flipped_bit(
    case: tuple[list[bytes], int, int, list[bytes]], data: st.DataObject
) -> None:
    hashes, old, new, proof = case
    assume(proof)
    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    bit = data.draw(st.integers(0, 255), label="bit")
    proof[position] = _flip_bit(proof[position], bit)
    with pytest.raises(ProofError):
        verify_consistency(
            old, new, proof, root_from_leaf_hashes(hashes[:old]), root_from_leaf_hashes(hashes[:new])
        )


@PROPERTY_SETTINGS
@given(consistency_cases())
def test_consistency_rejects_wrong_sizes(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    """A proof for (old, new) verifies for no other pair of sizes, even with their real roots."""
    hashes, old, new, proof = case
    roots = _roots_by_size(hashes)
    for other_old in range(len(hashes) + 1):
        if other_old != old:
            with pytest.raises(ProofError):
                verify_consistency(other_old, new, proof, roots[other_old], roots[new])
    for other_new in range(len(hashes) + 1):
        if other_new != new:
            with pytest.raises(ProofError):
                verify_consistency(old, other_new, proof, roots[old], roots[other_new])


@PROPERTY_SETTINGS
@given(consistency_cases(), st.data())
def test_consistency_rejects_rewritten_history(
    case: tuple[list[bytes], int, int, list[bytes]], data: st.DataObject
) -> None:
    """If a leaf of the old tree is changed, an honest proof over the new tree must not verify."""
    hashes, old, new, _ = case
    victim = data.draw(st.integers(0, old - 1), label="victim")
    forked = [*hashes[:victim], leaf_hash(b"rewritten"), *hashes[victim + 1 :]]
    proof = consistency_proof(old, new, forked)
    with pytest.raises(ProofError):
        verify_consistency(
            old, new, proof, root_from_leaf_hashes(hashes[:old]), root_from_leaf_hashes(forked[:new])
        )


@PROPERTY_SETTINGS
@given(consistency_cases())
def test_consistency_rejects_padded_or_trimmed_proof(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    hashes, old, new, proof = case
    assume(proof)
    old_root, new_root = root_from_leaf_hashes(hashes[:old]), root_from_leaf_hashes(hashes[:new])
    with pytest.raises(ProofError, match="too many"):
        verify_consistency(old, new, [*proof, new_root], old_root, new_root)
    if len(proof) > 1:
        with pytest.raises(ProofError, match="too short"):
            verify_consistency(old, new, proof[:-1], old_root, new_root)


def test_consistency_rejects_hashes_of_wrong_length() -> None:
    proof = consistency_proof(3, 8, STANDARD_HASHES)
    root3, root8 = root_from_leaf_hashes(STANDARD_HASHES[:3]), root_from_leaf_hashes(STANDARD_HASHES)
    with pytest.raises(ProofError, match="proof hash must be 32 bytes"):
        verify_consistency(3, 8, [proof[0][:16], *proof[1:]], root3, root8)
