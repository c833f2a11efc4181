"""Next period's spend under the user's limits, solved exactly in the currency's minor units.

The rule (documented in ``docs/reference/plan-and-report.md``): with ``X`` the largest
change allowed, each planned campaign's *target* is its baseline ``b`` (current spend,
scaled to the new total) times ``1 + X (2p - 1)``, where ``p`` is the probability that
its return beats the portfolio's spend-weighted average: ``p = 1`` asks for ``+X``,
``p = 0`` for ``-X``, ``p = 1/2`` (no evidence either way) for no change. One common
shift ``lambda * b`` is then added so the total comes out exact, and every campaign is
held inside ``[max(min_spend, b (1 - X)), max(b (1 + X), min_spend)]``:

    s_i(lambda) = clip(t_i + lambda b_i, low_i, high_i),   sum_i s_i(lambda) = total

The sum is a non-decreasing piecewise-linear function of ``lambda``, so the solution is
found exactly between two of its breakpoints (no iteration). Amounts are then whole minor
units (cents; yen): bounds are rounded inwards, each amount down, and the units left over
go to the largest remainders, so the total is exact and every bound still holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reports.errors import PlanInfeasible


@dataclass(frozen=True)
class Wanted:
    """One campaign to plan: baseline and bounds in minor units, target multiplier."""

    baseline: float
    low: int
    high: int
    target: float  # the amount asked for before the common shift


def bounds(baseline: float, max_change: float, min_spend: int) -> tuple[int, int]:
    """``[max(min, b (1 - X)), max(b (1 + X), min)]`` in whole minor units, rounded inwards
    (a range narrower than one unit becomes the baseline's nearest unit, or the minimum)."""
    low = max(min_spend, math.ceil(baseline * (1 - max_change) - 1e-9))
    high = max(math.floor(baseline * (1 + max_change) + 1e-9), low)
    return low, high


def _spend(wanted: Sequence[Wanted], shift: float) -> list[float]:
    return [min(max(w.target + shift * w.baseline, w.low), w.high) for w in wanted]


def _shift(wanted: Sequence[Wanted], total: int) -> float:
    """The ``lambda`` with ``sum s_i(lambda) = total`` (exact between two breakpoints)."""
    points = sorted(
        {
            (edge - w.target) / w.baseline
            for w in wanted
            if w.baseline > 0
            for edge in (w.low, w.high)
        }
    )
    if not points:
        return 0.0
    sums = [sum(_spend(wanted, p)) for p in points]
    if total <= sums[0]:
        return points[0]
    for i in range(len(points) - 1):
        (p0, f0), (p1, f1) = (points[i], sums[i]), (points[i + 1], sums[i + 1])
        if f0 <= total <= f1:
            return p0 if f1 == f0 else p0 + (total - f0) * (p1 - p0) / (f1 - f0)
    return points[-1]


def allocate(wanted: Sequence[Wanted], total: int) -> list[int]:
    """Whole minor units per campaign, summing to ``total`` exactly, each within its
    bounds; raises :class:`PlanInfeasible` when the bounds cannot meet the total."""
    if not wanted:
        if total != 0:
            raise PlanInfeasible("no campaign can be planned, so the total cannot be spent")
        return []
    lowest, highest = sum(w.low for w in wanted), sum(w.high for w in wanted)
    if not lowest <= total <= highest:
        side = (
            "minimum spends (and the change limit) add up to more"
            if total < lowest
            else ("the change limit allows at most")
        )
        raise PlanInfeasible(
            f"the limits cannot all hold: the {side} than the total to plan "
            f"({lowest} to {highest} minor units possible, {total} asked); "
            "widen --max-change, lower --min-spend or change --total"
        )
    exact = _spend(wanted, _shift(wanted, total))
    return _whole_units(exact, wanted, total)


def _whole_units(exact: Sequence[float], wanted: Sequence[Wanted], total: int) -> list[int]:
    """Round down inside the bounds, then give the leftover units to the largest remainders."""
    units = [
        min(max(math.floor(x + 1e-9), w.low), w.high) for x, w in zip(exact, wanted, strict=True)
    ]
    left = total - sum(units)
    order = sorted(range(len(units)), key=lambda i: (-(exact[i] - units[i]), i))
    step = 1 if left > 0 else -1
    while left != 0:
        moved = False
        for i in order if step > 0 else reversed(order):
            w = wanted[i]
            if left != 0 and w.low <= units[i] + step <= w.high:
                units[i] += step
                left -= step
                moved = True
        if not moved:  # cannot happen when low <= total <= high; kept as a guard
            raise PlanInfeasible("the total cannot be met in whole minor units")
    return units
