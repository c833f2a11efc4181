"""OpenDP noise for integer statistics, calibrated so the accounted loss <= its charge.

Every released statistic is a vector of integers (user counts, or revenue in cents) whose
L1 sensitivity is a whole number derived from the contribution bounds. It goes through
``opendp.measurements.make_laplace`` over ``vector_domain(atom_domain(T=i64))`` with
``l1_distance(T=i64)``, which samples the discrete Laplace distribution. The scale starts
at ``sensitivity / epsilon`` and is nudged up one float step at a time until OpenDP's own
privacy map, read as an exact fraction, is at most the epsilon charged (see
:func:`calibrate`).

Under a ``noise: gaussian`` policy a statistic with a zCDP share ``rho``
(:class:`policies.calibration.Statistic`) goes through ``opendp.measurements.make_gaussian``
over the same integer vectors with ``l2_distance(T=f64)`` and ``ZeroConcentratedDivergence``,
which samples the discrete Gaussian. Its L2 sensitivity ``sqrt(l2_squared)`` is passed as
the smallest float at or above the exact root, and sigma starts at ``L2 / sqrt(2 rho)``
and moves up until OpenDP's rho, read as an exact fraction, is at most the share (see
:func:`calibrate_gaussian`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import opendp.prelude as dp

from policies.calibration import ALPHA, Statistic, discrete_laplace_variance, gaussian_sigma
from policies.noise import gaussian_half_width

dp.enable_features("contrib")


_exact = False
"""True only inside ``cleanroom.release._testing.exact_mode`` (tests). Never read from
settings, requests or the environment."""


LAPLACE = "discrete_laplace"
GAUSSIAN = "discrete_gaussian"


@dataclass(frozen=True)
class Calibration:
    """How one statistic was noised: the L1 sensitivity, the epsilon allotted, the
    scale, and the loss OpenDP accounts for it (``accounted``).

    Discrete Laplace: ``accounted`` is epsilon (<= ``epsilon``). Discrete Gaussian
    (``mechanism == GAUSSIAN``): ``scale`` is sigma, ``rho`` the zCDP share allotted,
    ``accounted`` OpenDP's rho (<= ``rho``), ``l2_squared`` the squared L2 sensitivity;
    ``epsilon`` is the share of the query's epsilon this rho was cut from."""

    statistic: str
    sensitivity: int
    epsilon: Fraction
    scale: float
    accounted: Fraction
    mechanism: str = LAPLACE
    rho: Fraction | None = None
    l2_squared: int | None = None

    @property
    def variance(self) -> float:
        """Variance of the noise (for the discrete Gaussian its bound ``sigma^2``)."""
        if self.mechanism == GAUSSIAN:
            return self.scale**2
        return discrete_laplace_variance(self.scale)

    @property
    def accuracy(self) -> float:
        """Half-width ``a`` with ``P[|noise| >= a] <= ALPHA`` (Laplace: OpenDP's
        accuracy; Gaussian: just above the integer 95% half-width)."""
        if self.mechanism == GAUSSIAN:
            return gaussian_half_width(self.scale) + 0.5
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


def l2_distance(l2_squared: int) -> float:
    """The smallest float at or above ``sqrt(l2_squared)`` (so OpenDP never sees a
    smaller sensitivity than the true one)."""
    root = math.sqrt(l2_squared)
    while Fraction(root) ** 2 < l2_squared:
        root = math.nextafter(root, math.inf)
    return root


def _gaussian(scale: float) -> Any:
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l2_distance(T="f64")
    return dp.m.make_gaussian(*space, scale=scale, MO="ZeroConcentratedDivergence")


def calibrate_gaussian(stat: Statistic) -> tuple[Any, Calibration]:
    """The OpenDP discrete Gaussian for ``stat`` (which carries its ``rho`` share).

    Guarantee: ``Fraction(measurement.map(l2_distance(stat.l2_squared))) <= stat.rho``.
    """
    rho = stat.rho
    if rho is None:
        raise ValueError(f"{stat.name} has no zCDP share")
    d_in = l2_distance(stat.l2_squared)
    scale = gaussian_sigma(stat.l2_squared, rho)
    for _ in range(64):
        measurement = _gaussian(scale)
        accounted = Fraction(measurement.map(d_in))
        if accounted <= rho:
            cal = Calibration(
                stat.name, stat.sensitivity, stat.epsilon, scale, accounted,
                GAUSSIAN, rho, stat.l2_squared,
            )  # fmt: skip
            return measurement, cal
        scale = math.nextafter(scale, math.inf)
    raise ArithmeticError("could not calibrate a sigma within 64 float steps")  # pragma: no cover


def release_statistic(stat: Statistic, values: Sequence[int]) -> NoisyVector:
    """Noise ``values`` (one statistic over all groups) by ``stat``'s mechanism."""
    if not stat.gaussian:
        return release_vector(stat.name, values, stat.sensitivity, stat.epsilon)
    measurement, calibration = calibrate_gaussian(stat)
    return _draw(measurement, calibration, values)


def release_vector(
    statistic: str, values: Sequence[int], sensitivity: int, epsilon: Fraction
) -> NoisyVector:
    """Noise ``values`` (one statistic over all groups) with ``epsilon`` of the budget
    (discrete Laplace)."""
    measurement, calibration = calibrate(statistic, sensitivity, epsilon)
    return _draw(measurement, calibration, values)


def _draw(measurement: Any, calibration: Calibration, values: Sequence[int]) -> NoisyVector:
    if _exact or not values:
        return NoisyVector(tuple(int(v) for v in values), calibration)
    noisy = measurement([int(v) for v in values])
    return NoisyVector(tuple(int(v) for v in noisy), calibration)


def exact_mode_active() -> bool:
    return _exact
