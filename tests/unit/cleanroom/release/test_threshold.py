"""Threshold suppression: a group is released iff its noisy user count reaches k."""

from __future__ import annotations

from collections.abc import Mapping

from cleanroom.release.intervals import NoisyCount, count_estimate
from cleanroom.release.model import Estimate
from cleanroom.release.threshold import NoisyGroup, apply_threshold


def _values(counts: Mapping[str, NoisyCount], _: float | None) -> dict[str, Estimate | None]:
    return {"users": count_estimate(counts["users"])}


def group(name: str, noisy: int) -> NoisyGroup:
    return NoisyGroup((name,), {"users": NoisyCount(noisy, 8.0, 5)})


GROUPS = [group("big", 120), group("at-k", 50), group("noisy-low", 45), group("low", 10)]


def test_released_iff_the_noisy_count_reaches_k() -> None:
    rows, suppressed = apply_threshold(GROUPS, ["users"], 50, _values, ["users"])
    assert [(r.key, r.suppressed) for r in rows] == [
        (("big",), False),
        (("at-k",), False),
        (("noisy-low",), True),
        (("low",), True),
    ]
    assert suppressed == 2
    assert rows[2].values == {"users": None}


def test_the_decision_reads_only_noisy_values() -> None:
    """A group carries no true count at all: the decision cannot depend on one."""
    assert set(NoisyGroup.__dataclass_fields__) == {"key", "counts", "extra"}


def test_remainder_row_sums_suppressed_groups_and_is_thresholded() -> None:
    rows, suppressed = apply_threshold(GROUPS, ["users"], 50, _values, ["users"], remainder=True)
    last = rows[-1]
    assert last.remainder and not last.suppressed and last.key == (None,)
    assert last.values["users"] is not None and last.values["users"].value == 55
    assert suppressed == 2


def test_remainder_below_k_is_itself_suppressed() -> None:
    rows, suppressed = apply_threshold(
        [group("a", 10), group("b", 12)], ["users"], 50, _values, ["users"], remainder=True
    )
    assert rows[-1].remainder and rows[-1].suppressed
    assert suppressed == 3
