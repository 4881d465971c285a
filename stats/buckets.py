"""Answer times in logarithmic buckets, so percentiles merge across days to within 1 %.

Bucket 0 holds 0 ms and bucket `i` > 0 the times in (g^(i-2), g^(i-1)] milliseconds,
g = 1.02; a bucket's value is 2g^(i-1)/(g+1), at most (g-1)/(g+1) < 1 % from any time in it
(the relative-error sketch of DDSketch, Masson et al., VLDB 2019). Below 50 ms a bucket is
narrower than a millisecond, so small times come back exact.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

GAMMA = 1.02
_LOG_GAMMA = math.log(GAMMA)


def bucket(ms: int) -> int:
    """The bucket of an answer time in whole milliseconds."""
    return 0 if ms <= 0 else 1 + math.ceil(math.log(ms) / _LOG_GAMMA - 1e-9)


def bucket_value(index: int) -> int:
    """The milliseconds a bucket stands for."""
    return 0 if index <= 0 else round(2 * GAMMA ** (index - 1) / (GAMMA + 1))


def merged(histograms: Iterable[Mapping[int | str, int]]) -> Counter[int]:
    """The sum of bucket counts (keys may be JSON's strings)."""
    total: Counter[int] = Counter()
    for histogram in histograms:
        for index, count in histogram.items():
            total[int(index)] += count
    return total


def percentiles(histogram: Mapping[int, int], fractions: Iterable[float]) -> list[int]:
    """The nearest-rank percentiles of the counted times, in milliseconds; 0 for none."""
    count = sum(histogram.values())
    if count == 0:
        return [0 for _ in fractions]
    ranks = [max(math.ceil(fraction * count), 1) for fraction in fractions]
    found: dict[int, int] = {}
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        for rank in ranks:
            if rank not in found and seen >= rank:
                found[rank] = bucket_value(index)
        if len(found) == len(set(ranks)):
            break
    return [found[rank] for rank in ranks]
