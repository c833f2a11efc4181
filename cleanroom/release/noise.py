"""OpenDP noise for integer statistics, calibrated so accounted epsilon <= charged epsilon.

Every released statistic is a vector of integers (user counts, or revenue in cents) whose
L1 sensitivity is a whole number derived from the contribution bounds. It goes through
``opendp.measurements.make_laplace`` over ``vector_domain(atom_domain(T=i64))`` with
``l1_distance(T=i64)``, which samples the discrete Laplace distribution. The scale starts
at ``sensitivity / epsilon`` and is nudged up one float step at a time until OpenDP's own
privacy map, read as an exact fraction, is at most the epsilon charged (see
:func:`calibrate`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import opendp.prelude as dp

from policies.calibration import ALPHA, Statistic, discrete_laplace_variance

dp.enable_features("contrib")


_exact = False
"""True only inside ``cleanroom.release._testing.exact_mode`` (tests). Never read from
settings, requests or the environment."""


@dataclass(frozen=True)
class Calibration:
    """How one statistic was noised: the L1 sensitivity, the epsilon allotted, the
    discrete Laplace scale, and the epsilon OpenDP accounts for it (<= ``epsilon``)."""

    statistic: str
    sensitivity: int
    epsilon: Fraction
    scale: float
    accounted: Fraction

    @property
    def variance(self) -> float:
        """Variance of the discrete Laplace noise with this scale."""
        return discrete_laplace_variance(self.scale)

    @property
    def accuracy(self) -> float:
        """Half-width ``a`` with ``P[|noise| >= a] = ALPHA`` (OpenDP's accuracy)."""
        return float(dp.discrete_laplacian_scale_to_accuracy(self.scale, ALPHA))


@dataclass(frozen=True)
class NoisyVector:
    values: tuple[int, ...]
    calibration: Calibration


def _measurement(scale: float) -> Any:
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64")
    return dp.m.make_laplace(*space, scale=scale)


def calibrate(statistic: str, sensitivity: int, epsilon: Fraction) -> tuple[Any, Calibration]:
    """The OpenDP measurement for one statistic and its calibration.

    Guarantee: ``Fraction(measurement.map(sensitivity)) <= epsilon`` exactly.
    """
    scale = float(Statistic(statistic, sensitivity, epsilon).scale)
    for _ in range(64):
        measurement = _measurement(scale)
        accounted = Fraction(measurement.map(sensitivity))
        if accounted <= epsilon:
            return measurement, Calibration(statistic, sensitivity, epsilon, scale, accounted)
        scale = math.nextafter(scale, math.inf)
    raise ArithmeticError("could not calibrate a scale within 64 float steps")  # pragma: no cover


def release_vector(
    statistic: str, values: Sequence[int], sensitivity: int, epsilon: Fraction
) -> NoisyVector:
    """Noise ``values`` (one statistic over all groups) with ``epsilon`` of the budget."""
    measurement, calibration = calibrate(statistic, sensitivity, epsilon)
    if _exact or not values:
        return NoisyVector(tuple(int(v) for v in values), calibration)
    noisy = measurement([int(v) for v in values])
    return NoisyVector(tuple(int(v) for v in noisy), calibration)


def exact_mode_active() -> bool:
    return _exact
