"""Interval arithmetic of counts, rates, lift and ROAS (coverage: tests/statistical)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cleanroom.release.intervals import (
    SUM_Z,
    Arm,
    NoisyCount,
    count_estimate,
    lift_estimates,
    rate_estimate,
    ratio_estimate,
)
from cleanroom.release.model import Estimate
from policies.calibration import discrete_laplace_variance


def test_count_interval_is_symmetric_and_unclamped() -> None:
    assert count_estimate(NoisyCount(100, 50.0, 14)) == Estimate(100, 86, 114)
    assert count_estimate(NoisyCount(-3, 50.0, 14)) == Estimate(-3, -17, 11)
    assert count_estimate(NoisyCount(12345, 1.0, 100), per_unit=100) == Estimate(
        123.45, 122.45, 124.45
    )


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0, 3.0, 20.0])
@pytest.mark.parametrize("cells", [2, 3, 5])
def test_a_sum_of_cells_has_at_least_95_percent_exact_coverage(scale: float, cells: int) -> None:
    """Exact pmf of a sum of iid discrete Laplace cells, by convolution."""
    q = math.exp(-1 / scale)
    support = np.arange(-int(80 * scale) - 50, int(80 * scale) + 51)
    pmf = (1 - q) / (1 + q) * q ** np.abs(support)
    total = pmf
    for _ in range(cells - 1):
        total = np.convolve(total, pmf)
    values = np.arange(len(total)) - len(total) // 2
    one = NoisyCount(0, discrete_laplace_variance(scale), 0)
    summed = one
    for _ in range(cells - 1):
        summed = summed + one
    assert summed.half_width == math.ceil(SUM_Z * math.sqrt(cells * one.variance))
    assert total[np.abs(values) <= summed.half_width].sum() >= 0.95


def test_rate_is_unclamped_and_its_interval_stays_in_0_1() -> None:
    est = rate_estimate(Arm(NoisyCount(-4, 18.0, 9), NoisyCount(1000, 18.0, 9)))
    assert est is not None
    assert est.value == -0.004
    assert est.low == 0.0 and 0 < est.high < 0.02


def test_rate_interval_reduces_to_wilson_without_noise() -> None:
    est = rate_estimate(Arm(NoisyCount(20, 0.0, 0), NoisyCount(100, 0.0, 0)))
    assert est is not None
    z2, n, p = 1.959963984540054**2, 100, 0.2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) * math.sqrt(z2) / (1 + z2 / n)
    assert est.low == pytest.approx(centre - half) and est.high == pytest.approx(centre + half)


def test_noise_dominated_rate_interval_widens_to_0_1() -> None:
    est = rate_estimate(Arm(NoisyCount(3, 1e4, 200), NoisyCount(40, 1e4, 200)))
    assert est is not None and (est.low, est.high) == (0.0, 1.0)


def test_histogram_covariance_narrows_the_rate_of_a_full_conversion() -> None:
    """users = converted + not converted: a rate near 1 is pinned by the shared noise."""
    converted, rest = NoisyCount(990, 50.0, 14), NoisyCount(10, 50.0, 14)
    shared = rate_estimate(Arm.of_cells(converted, rest))
    independent = rate_estimate(Arm(converted, converted + rest))
    assert shared is not None and independent is not None
    assert shared.high - shared.low < independent.high - independent.low


def test_rate_is_withheld_when_noisy_users_are_not_positive() -> None:
    assert rate_estimate(Arm(NoisyCount(3, 1.0, 2), NoisyCount(0, 1.0, 2))) is None


def _arm(converted: int, users: int, variance: float = 2.0) -> Arm:
    return Arm(NoisyCount(converted, variance, 3), NoisyCount(users, variance, 3))


def test_lift_absolute_and_relative() -> None:
    absolute, relative = lift_estimates(_arm(300, 1000), _arm(200, 1000))
    assert absolute is not None and relative is not None
    assert absolute.value == pytest.approx(0.1)
    assert relative.value == pytest.approx(0.5)
    assert absolute.low < 0.1 < absolute.high and relative.low < 0.5 < relative.high
    assert absolute.low > 0.0 and relative.low > 0.0  # clearly positive at these sizes


def test_relative_lift_is_unbounded_when_the_holdout_rate_may_be_0() -> None:
    absolute, relative = lift_estimates(_arm(30, 1000), _arm(1, 100, variance=50.0))
    assert absolute is not None and relative is not None
    assert relative.value == pytest.approx(0.03 / 0.01 - 1)
    assert relative.high == math.inf and relative.low >= -1.0


def test_relative_lift_needs_a_positive_holdout_rate() -> None:
    absolute, relative = lift_estimates(_arm(300, 1000), _arm(0, 1000))
    assert absolute is not None and relative is None


def test_roas_divides_revenue_interval_by_public_spend() -> None:
    assert ratio_estimate(Estimate(100.0, 80.0, 120.0), 50.0) == Estimate(2.0, 1.6, 2.4)
    assert ratio_estimate(Estimate(-10.0, -30.0, 10.0), 10.0) == Estimate(-1.0, -3.0, 1.0)
    assert ratio_estimate(Estimate(100.0, 80.0, 120.0), None) is None
    assert ratio_estimate(Estimate(100.0, 80.0, 120.0), 0.0) is None
