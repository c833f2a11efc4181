"""Threshold suppression: noisy and true user counts must both reach k."""

from __future__ import annotations

from collections.abc import Mapping

from cleanroom.release.intervals import NoisyCount, count_estimate
from cleanroom.release.model import Estimate
from cleanroom.release.threshold import NoisyGroup, apply_threshold


def _values(counts: Mapping[str, NoisyCount], _: float | None) -> dict[str, Estimate | None]:
    return {"users": count_estimate(counts["users"])}


def group(name: str, noisy: int, true: int) -> NoisyGroup:
    return NoisyGroup((name,), {"users": NoisyCount(noisy, 8.0, 5)}, {"users": true})


GROUPS = [group("big", 120, 118), group("lucky", 60, 40), group("noisy-low", 45, 70)]


def test_suppresses_groups_whose_noisy_or_true_count_is_below_k() -> None:
    rows, suppressed = apply_threshold(GROUPS, ["users"], 50, _values, ["users"])
    assert [(r.key, r.suppressed) for r in rows] == [
        (("big",), False),
        (("lucky",), True),
        (("noisy-low",), True),
    ]
    assert suppressed == 2
    assert rows[1].values == {"users": None}


def test_remainder_row_sums_suppressed_groups_and_is_thresholded() -> None:
    rows, suppressed = apply_threshold(GROUPS, ["users"], 50, _values, ["users"], remainder=True)
    last = rows[-1]
    assert last.remainder and not last.suppressed and last.key == (None,)
    assert (
        last.values["users"] == Estimate(105, 105 - 5.0, 105 + 5.0)
        or last.values["users"].value == 105
    )
    assert suppressed == 2


def test_remainder_below_k_is_itself_suppressed() -> None:
    rows, suppressed = apply_threshold(
        [group("a", 10, 10), group("b", 12, 9)], ["users"], 50, _values, ["users"], remainder=True
    )
    assert rows[-1].remainder and rows[-1].suppressed
    assert suppressed == 3
