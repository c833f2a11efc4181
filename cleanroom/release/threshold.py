"""Threshold suppression: a group is released if and only if its *noisy* user count(s)
are at least ``k``.

The decision reads nothing but the noisy counts, so it is post-processing of the DP
release and costs no epsilon: which rows are released is as private as the numbers
(docs/reference/privacy-guarantees.md, "Thresholding"). The true counts are never
consulted; a group of true size below ``k`` is released when its noise is large and
positive, with an interval that says how uncertain it is. ``k`` is a utility choice.
Suppressed groups stay in the output, marked, with every number withheld. With
``remainder`` on, their noisy statistics are summed into one extra row, which passes the
same test or is itself suppressed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add

from cleanroom.release.intervals import NoisyCount
from cleanroom.release.model import Estimate, ResultRow

Derive = Callable[[Mapping[str, NoisyCount], float | None], dict[str, Estimate | None]]


@dataclass(frozen=True)
class NoisyGroup:
    """One group before thresholding: key, noisy statistics, public extra (spend)."""

    key: tuple[str | None, ...]
    counts: dict[str, NoisyCount]
    extra: float | None = None


def passes(group: NoisyGroup, size_stats: Sequence[str], k: int) -> bool:
    """The noisy value of every user-count statistic is >= ``k``."""
    return all(group.counts[name].value >= k for name in size_stats)


def apply_threshold(
    groups: Sequence[NoisyGroup],
    size_stats: Sequence[str],
    k: int,
    derive: Derive,
    columns: Sequence[str],
    remainder: bool = False,
) -> tuple[list[ResultRow], int]:
    """Released rows (suppressed ones marked) and the number of suppressed rows."""
    withheld: dict[str, Estimate | None] = dict.fromkeys(columns)
    rows: list[ResultRow] = []
    folded: list[NoisyGroup] = []
    for group in groups:
        if passes(group, size_stats, k):
            rows.append(ResultRow(group.key, derive(group.counts, group.extra)))
        else:
            folded.append(group)
            rows.append(ResultRow(group.key, dict(withheld), suppressed=True))
    suppressed = len(folded)
    if remainder and folded:
        names = folded[0].counts.keys()
        summed = NoisyGroup(
            tuple(None for _ in folded[0].key),
            {name: reduce(add, (g.counts[name] for g in folded)) for name in names},
        )
        if passes(summed, size_stats, k):
            rows.append(ResultRow(summed.key, derive(summed.counts, None), remainder=True))
        else:
            rows.append(ResultRow(summed.key, dict(withheld), suppressed=True, remainder=True))
            suppressed += 1
    return rows, suppressed
