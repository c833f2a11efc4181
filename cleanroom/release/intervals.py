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
- **Incremental revenue** ``r_e - r_h n_e / n_h`` (:func:`incremental_estimates`):
  Fieller's interval (:func:`policies.intervals.incremental_interval`) over the four
  independent noises and a Bhatia-Davis bound on each arm's sampling variance (per-user
  revenue in one campaign lies in ``[0, P x cap]``); unbounded (``null`` ends) when the
  holdout users are not clearly above 0. **Incremental ROAS** divides it by public spend.

Coverage in small, unbalanced, noise-dominated and near-zero-lift regimes is measured
by ``tests/statistical/test_interval_coverage.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cleanroom.release.model import Estimate
from cleanroom.release.noise import Calibration
from policies.calibration import SUM_Z, sum_half_width
from policies.intervals import (
    clip,
    incremental_interval,
    mover_ratio,
    newcombe,
    revenue_sampling_variance,
    score_interval,
)

__all__ = [
    "SUM_Z",
    "Arm",
    "NoisyCount",
    "count_estimate",
    "incremental_estimates",
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
    return score_interval(
        float(arm.converted.value),
        float(arm.users.value),
        arm.converted.variance,
        arm.users.variance,
        arm.covariance,
    )


def rate_estimate(arm: Arm) -> Estimate | None:
    """Conversion rate ``converted / users`` (unclamped) or ``None`` when noisy users <= 0."""
    point = _rate_point(arm)
    if point is None:
        return None
    low, high = _score_roots(arm)
    return Estimate(point, low, high)


def lift_estimates(exposed: Arm, holdout: Arm) -> tuple[Estimate | None, Estimate | None]:
    """(absolute lift, relative lift) of the exposed over the holdout arm."""
    pe, ph = _rate_point(exposed), _rate_point(holdout)
    if pe is None or ph is None:
        return None, None
    e, h = _score_roots(exposed), _score_roots(holdout)
    absolute = Estimate(pe - ph, *newcombe(pe, e, ph, h))
    te, th = clip(pe, *e), clip(ph, *h)
    if ph <= 0 or th <= 0:
        return absolute, None
    low, high = mover_ratio(te, e, th, h)
    return absolute, Estimate(pe / ph - 1.0, low - 1.0, high - 1.0)


def ratio_estimate(revenue: Estimate, spend: float | None) -> Estimate | None:
    """ROAS: released revenue over public spend; ``None`` without positive spend."""
    if spend is None or not spend > 0 or math.isinf(spend):
        return None
    return Estimate(revenue.value / spend, revenue.low / spend, revenue.high / spend)


def incremental_estimates(
    exposed_cents: NoisyCount,
    holdout_cents: NoisyCount,
    exposed: Arm,
    holdout: Arm,
    bound_cents: int,
    spend: float | None,
) -> tuple[Estimate | None, Estimate | None]:
    """(incremental revenue, incremental ROAS) in currency units: exposed revenue minus
    holdout revenue scaled by ``exposed users / holdout users``; ``None`` when the noisy
    holdout users are <= 0 (ROAS also without positive spend). ``bound_cents`` bounds
    one user's revenue in one campaign (P x cap)."""
    ne, nh = exposed.users, holdout.users
    if nh.value <= 0:
        return None, None
    re, rh = float(exposed_cents.value), float(holdout_cents.value)
    point = re - rh * ne.value / nh.value
    sampling = (
        revenue_sampling_variance(re, ne.value, bound_cents),
        revenue_sampling_variance(rh, nh.value, bound_cents),
    )
    low, high = incremental_interval(
        (re, rh),
        (exposed_cents.variance, holdout_cents.variance),
        sampling,
        (float(ne.value), float(nh.value)),
        (ne.variance, nh.variance),
    )
    revenue = Estimate(point / 100, low / 100, high / 100)
    return revenue, ratio_estimate(revenue, spend)
