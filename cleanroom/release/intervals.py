"""95% intervals for every released number.

Counts and revenue: the noise is discrete Laplace with a known scale, so the interval is
the value +/- ``floor(a)`` where OpenDP's ``discrete_laplacian_scale_to_accuracy`` gives
``P[|noise| >= a] = 0.05`` (exact, no approximation). A sum of several noisy cells (the
remainder row) uses the larger of the widest single-cell half-width and the normal
approximation ``1.96 * sqrt(sum of variances)``.

Rates and lift (normal approximation, delta method, noisy values plugged in): with noisy
users ``n``, noisy converted ``c``, ``p = c / n`` clamped to [0, 1]::

    Var(p) ~= p (1 - p) / n                  sampling error (binomial outcome per user)
            + (Var_c + p^2 Var_n) / n^2       DP noise on both counts (delta method)

Absolute lift ``p_e - p_h`` adds the two variances; relative lift ``p_e / p_h - 1`` has
``Var ~= Var(p_e) / p_h^2 + p_e^2 Var(p_h) / p_h^4``. ROAS is revenue over public spend,
so its interval is the revenue interval divided by spend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cleanroom.release.model import Estimate
from cleanroom.release.noise import Calibration

Z95 = 1.959963984540054


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
        width = max(self.half_width, other.half_width, Z95 * math.sqrt(variance))
        return NoisyCount(self.value + other.value, variance, width)


def count_estimate(count: NoisyCount, per_unit: int = 1) -> Estimate:
    """Released count (or cents, with ``per_unit=100``, in currency units): clamped at 0,
    interval clipped at 0 (the truth is never negative, so clipping keeps coverage)."""
    value = max(count.value, 0) / per_unit
    low = max(count.value - count.half_width, 0) / per_unit
    high = max(count.value + count.half_width, 0) / per_unit
    return Estimate(value, low, high)


def _rate_and_variance(converted: NoisyCount, users: NoisyCount) -> tuple[float, float] | None:
    n = users.value
    if n <= 0:
        return None
    p = min(max(converted.value / n, 0.0), 1.0)
    sampling = p * (1.0 - p) / n
    noise = (converted.variance + p * p * users.variance) / (n * n)
    return p, sampling + noise


def _estimate(value: float, variance: float, low: float, high: float) -> Estimate:
    half = Z95 * math.sqrt(variance)
    return Estimate(value, max(value - half, low), min(value + half, high))


def rate_estimate(converted: NoisyCount, users: NoisyCount) -> Estimate | None:
    """Conversion rate ``converted / users`` or ``None`` when the noisy users are <= 0."""
    pv = _rate_and_variance(converted, users)
    return None if pv is None else _estimate(pv[0], pv[1], 0.0, 1.0)


def lift_estimates(
    exposed: tuple[NoisyCount, NoisyCount], holdout: tuple[NoisyCount, NoisyCount]
) -> tuple[Estimate | None, Estimate | None]:
    """(absolute lift, relative lift) from (converted, users) of each arm."""
    e = _rate_and_variance(*exposed)
    h = _rate_and_variance(*holdout)
    if e is None or h is None:
        return None, None
    (pe, ve), (ph, vh) = e, h
    absolute = _estimate(pe - ph, ve + vh, -1.0, 1.0)
    if ph <= 0:
        return absolute, None
    rel_var = ve / ph**2 + pe**2 * vh / ph**4
    return absolute, _estimate(pe / ph - 1.0, rel_var, -1.0, math.inf)


def ratio_estimate(revenue: Estimate, spend: float | None) -> Estimate | None:
    """ROAS: released revenue over public spend; ``None`` without positive spend."""
    if spend is None or not spend > 0 or math.isinf(spend):
        return None
    return Estimate(revenue.value / spend, revenue.low / spend, revenue.high / spend)
