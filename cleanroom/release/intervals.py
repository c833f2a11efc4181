"""95% intervals for every released number, and the unclamped point estimates.

Nothing is clamped after noise: a noisy count of -3 is released as -3 (an unbiased
estimate; displays may show it as "< 0, not significant"). Intervals use only noisy
values and public noise scales (post-processing).

- **Counts and revenue** (:func:`count_estimate`): one noisy cell is the value +/-
  ``floor(a)``, ``a`` the exact discrete Laplace accuracy (``P[|noise| >= a] = 0.05``).
  A sum of independent cells (users = converted + not converted of a histogram; the
  remainder row) is the value +/- ``max(widest cell, ceil(2.118 sd))``: a sum of Laplace
  noises is no heavier-tailed than one Laplace of the same variance, whose 95%
  half-width is ``ln(20) / sqrt(2) = 2.118`` sd.
- **Rates** (:func:`rate_estimate`, noisy Wilson score interval): the set of ``p`` in
  [0, 1] with ``(c - p n)^2 <= z^2 [n p (1 - p) + k Var_noise(c - p n)]`` where ``c``,
  ``n`` are the noisy converted and users, ``Var_noise(c - p n) = Vc - 2 p Cov + p^2
  Vn`` (``Cov = Vc`` when users = converted + not converted cells) and ``k =
  LAPLACE_TAIL`` widens the noise part to Laplace tails. A quadratic in ``p``: exact
  roots, no delta method; it stays valid when noise dominates (the interval widens to
  [0, 1]) and near 0 or 1.
- **Absolute lift** ``p_e - p_h`` (:func:`lift_estimates`): Newcombe's hybrid score
  interval from the two arms' rate intervals.
- **Relative lift** ``p_e / p_h - 1``: MOVER-R (Donner & Zou 2012) from the two arms'
  intervals, the ratio analogue of Newcombe's; unbounded above (``high = inf``,
  serialized ``null``) when the holdout interval reaches 0.
- **ROAS** (:func:`ratio_estimate`): revenue over public spend, the revenue interval
  divided by spend.

Coverage in small, unbalanced, noise-dominated and near-zero-lift regimes is measured
by ``tests/statistical/test_interval_coverage.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cleanroom.release.model import Estimate
from cleanroom.release.noise import Calibration
from policies.calibration import LAPLACE_TAIL, SUM_Z, Z95, sum_half_width

__all__ = [
    "SUM_Z",
    "Arm",
    "NoisyCount",
    "count_estimate",
    "lift_estimates",
    "rate_estimate",
    "ratio_estimate",
]


@dataclass(frozen=True)
class NoisyCount:
    """A noisy integer with the variance and 95% half-width of its noise."""

    value: int
    variance: float
    half_width: float

    @classmethod
    def of(cls, value: int, calibration: Calibration) -> NoisyCount:
        return cls(value, calibration.variance, math.floor(calibration.accuracy))

    def __add__(self, other: NoisyCount) -> NoisyCount:
        variance = self.variance + other.variance
        width = sum_half_width(variance, max(self.half_width, other.half_width))
        return NoisyCount(self.value + other.value, variance, width)


@dataclass(frozen=True)
class Arm:
    """Noisy converted and users of one group or arm, and the covariance of their noise
    (``converted.variance`` when users = converted + not-converted cells, else 0)."""

    converted: NoisyCount
    users: NoisyCount
    covariance: float = 0.0

    @classmethod
    def of_cells(cls, converted: NoisyCount, not_converted: NoisyCount) -> Arm:
        return cls(converted, converted + not_converted, converted.variance)


def count_estimate(count: NoisyCount, per_unit: int = 1) -> Estimate:
    """Released count (or cents, with ``per_unit=100``, in currency units), unclamped,
    with its symmetric noise interval."""
    value, half = count.value, count.half_width
    return Estimate(value / per_unit, (value - half) / per_unit, (value + half) / per_unit)


def _rate_point(arm: Arm) -> float | None:
    n = arm.users.value
    return None if n <= 0 else arm.converted.value / n


def _score_roots(arm: Arm) -> tuple[float, float]:
    """The noisy Wilson interval of ``arm`` (assumes noisy users > 0), within [0, 1]."""
    c, n = float(arm.converted.value), float(arm.users.value)
    z2, vc, vn, cov = Z95 * Z95, arm.converted.variance, arm.users.variance, arm.covariance
    a = n * n + z2 * n - z2 * LAPLACE_TAIL * vn
    b = -2.0 * c * n - z2 * n + 2.0 * z2 * LAPLACE_TAIL * cov
    k = c * c - z2 * LAPLACE_TAIL * vc
    return _solution_hull(a, b, k)


def _solution_hull(a: float, b: float, k: float) -> tuple[float, float]:
    """Hull of ``{p in [0, 1]: a p^2 + b p + k <= 0}`` (the argmin when it is empty)."""

    def f(p: float) -> float:
        return (a * p + b) * p + k

    candidates = [0.0, 1.0]
    disc = b * b - 4.0 * a * k
    if a != 0 and disc >= 0:
        root = math.sqrt(disc)
        candidates += [(-b - root) / (2 * a), (-b + root) / (2 * a)]
    elif a == 0 and b != 0:
        candidates.append(-k / b)
    inside = [p for p in candidates if 0.0 <= p <= 1.0 and f(p) <= 1e-9 * (abs(k) + 1)]
    if inside:
        return min(inside), max(inside)
    best = min((0.0, 1.0, min(max(-b / (2 * a), 0.0), 1.0) if a > 0 else 0.0), key=f)
    return best, best


def rate_estimate(arm: Arm) -> Estimate | None:
    """Conversion rate ``converted / users`` (unclamped) or ``None`` when noisy users <= 0."""
    point = _rate_point(arm)
    if point is None:
        return None
    low, high = _score_roots(arm)
    return Estimate(point, low, high)


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _newcombe(pe: float, e: tuple[float, float], ph: float, h: tuple[float, float]) -> Estimate:
    te, th = _clip(pe, *e), _clip(ph, *h)
    d = te - th
    low = d - math.hypot(te - e[0], h[1] - th)
    high = d + math.hypot(e[1] - te, th - h[0])
    return Estimate(pe - ph, max(low, -1.0), min(high, 1.0))


def _mover_ratio(
    t1: float, i1: tuple[float, float], t2: float, i2: tuple[float, float]
) -> tuple[float, float]:
    """MOVER-R interval of ``t1 / t2`` from independent intervals (``t2 > 0``)."""
    (l1, u1), (l2, u2) = i1, i2
    if l1 <= 0:
        low = 0.0
    else:  # smallest root of (t1 - R t2)^2 = (t1 - l1)^2 + R^2 (u2 - t2)^2, stable form
        a, c0 = t2 * t2 - (u2 - t2) ** 2, l1 * (2 * t1 - l1)
        low = c0 / (t1 * t2 + math.sqrt(max(t1 * t1 * t2 * t2 - a * c0, 0.0)))
    if l2 <= 0:
        return low, math.inf
    a, c1 = l2 * (2 * t2 - l2), u1 * (2 * t1 - u1)
    high = (t1 * t2 + math.sqrt(max(t1 * t1 * t2 * t2 - a * c1, 0.0))) / a
    return low, max(high, low)


def lift_estimates(exposed: Arm, holdout: Arm) -> tuple[Estimate | None, Estimate | None]:
    """(absolute lift, relative lift) of the exposed over the holdout arm."""
    pe, ph = _rate_point(exposed), _rate_point(holdout)
    if pe is None or ph is None:
        return None, None
    e, h = _score_roots(exposed), _score_roots(holdout)
    absolute = _newcombe(pe, e, ph, h)
    te, th = _clip(pe, *e), _clip(ph, *h)
    if ph <= 0 or th <= 0:
        return absolute, None
    low, high = _mover_ratio(te, e, th, h)
    return absolute, Estimate(pe / ph - 1.0, low - 1.0, high - 1.0)


def ratio_estimate(revenue: Estimate, spend: float | None) -> Estimate | None:
    """ROAS: released revenue over public spend; ``None`` without positive spend."""
    if spend is None or not spend > 0 or math.isinf(spend):
        return None
    return Estimate(revenue.value / spend, revenue.low / spend, revenue.high / spend)
