"""Benchmark audit.merkle on a 1,000,000-leaf tree and print one JSON line.

Run from the repository root: ``.venv/bin/python benchmarks/bench_merkle.py``.
No Django is needed. The numbers let us size the sequencer: how fast events can be
hashed and appended, how long a full root recomputation takes when auditing, and how
much one proof costs when the `SubtreeRoot` interface is backed by cached perfect subtrees
(`TreeLevels` here, a database table later).
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

# The repository is not installed as a package; make `audit` importable when run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.merkle import (
    CompactRange,
    TreeLevels,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

LEAVES = 1_000_000
SAMPLES = 1_000
EVENT_SIZE = 256  # bytes; roughly one serialised audit event
SEED = 6962

T = TypeVar("T")


def _seconds(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _microsecond_stats(action: Callable[[int], object], arguments: list[int]) -> dict[str, float]:
    """Time `action` once per argument; report median and 99th percentile in microseconds."""
    timings = []
    for argument in arguments:
        started = time.perf_counter_ns()
        action(argument)
        timings.append((time.perf_counter_ns() - started) / 1000)
    return {
        "median": round(statistics.median(timings), 1),
        "p99": round(statistics.quantiles(timings, n=100)[98], 1),
    }


def main() -> None:
    rng = random.Random(SEED)
    prefix = rng.randbytes(EVENT_SIZE - 8)
    events = [prefix + index.to_bytes(8, "big") for index in range(LEAVES)]

    hash_seconds, hashes = _seconds(lambda: [leaf_hash(event) for event in events])
    root_seconds, root = _seconds(lambda: root_from_leaf_hashes(hashes))
    append_seconds, _ = _seconds(lambda: CompactRange().extend(hashes))
    levels_seconds, levels = _seconds(lambda: TreeLevels(hashes))

    indices = [rng.randrange(LEAVES) for _ in range(SAMPLES)]
    proofs = {index: inclusion_proof(index, LEAVES, levels.subtree_root) for index in indices}
    old_sizes = [rng.randrange(1, LEAVES) for _ in range(SAMPLES)]
    old_roots = {size: levels.subtree_root(0, size) for size in old_sizes}
    consistency = {size: consistency_proof(size, LEAVES, levels.subtree_root) for size in old_sizes}

    result = {
        "python": platform.python_version(),
        "leaves": LEAVES,
        "event_bytes": EVENT_SIZE,
        "leaf_hashes_per_second": round(LEAVES / hash_seconds),
        "root_1m_seconds": round(root_seconds, 3),
        "compact_range_appends_per_second": round(LEAVES / append_seconds),
        "tree_levels_build_seconds": round(levels_seconds, 3),
        "inclusion_proof_us": _microsecond_stats(
            lambda index: inclusion_proof(index, LEAVES, levels.subtree_root), indices
        ),
        "verify_inclusion_us": _microsecond_stats(
            lambda index: verify_inclusion(index, LEAVES, hashes[index], proofs[index], root), indices
        ),
        "consistency_proof_us": _microsecond_stats(
            lambda size: consistency_proof(size, LEAVES, levels.subtree_root), old_sizes
        ),
        "verify_consistency_us": _microsecond_stats(
            lambda size: verify_consistency(size, LEAVES, consistency[size], old_roots[size], root), old_sizes
        ),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
