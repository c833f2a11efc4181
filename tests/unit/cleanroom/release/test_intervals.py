"""Interval arithmetic of counts, rates, lift and ROAS."""

from __future__ import annotations

import math

import pytest

from cleanroom.release.intervals import (
    Z95,
    NoisyCount,
    count_estimate,
    lift_estimates,
    rate_estimate,
    ratio_estimate,
)
from cleanroom.release.model import Estimate


def test_count_interval_is_symmetric_and_clipped_at_zero() -> None:
    assert count_estimate(NoisyCount(100, 50.0, 14)) == Estimate(100, 86, 114)
    assert count_estimate(NoisyCount(-3, 50.0, 14)) == Estimate(0, 0, 11)
    assert count_estimate(NoisyCount(12345, 1.0, 100), per_unit=100) == Estimate(
        123.45, 122.45, 124.45
    )


def test_rate_combines_sampling_and_noise_variance() -> None:
    est = rate_estimate(NoisyCount(200, 18.0, 9), NoisyCount(1000, 18.0, 9))
    assert est is not None
    var = 0.2 * 0.8 / 1000 + (18.0 + 0.04 * 18.0) / 1000**2
    assert est.value == 0.2
    assert est.high - est.value == pytest.approx(Z95 * math.sqrt(var))


def test_rate_is_withheld_when_noisy_users_are_not_positive() -> None:
    assert rate_estimate(NoisyCount(3, 1.0, 2), NoisyCount(0, 1.0, 2)) is None


def test_lift_absolute_and_relative() -> None:
    exposed = (NoisyCount(300, 2.0, 3), NoisyCount(1000, 2.0, 3))
    holdout = (NoisyCount(200, 2.0, 3), NoisyCount(1000, 2.0, 3))
    absolute, relative = lift_estimates(exposed, holdout)
    assert absolute is not None and relative is not None
    assert absolute.value == pytest.approx(0.1)
    assert relative.value == pytest.approx(0.5)
    assert absolute.low < 0.1 < absolute.high and relative.low < 0.5 < relative.high


def test_relative_lift_needs_a_positive_holdout_rate() -> None:
    exposed = (NoisyCount(300, 2.0, 3), NoisyCount(1000, 2.0, 3))
    holdout = (NoisyCount(0, 2.0, 3), NoisyCount(1000, 2.0, 3))
    absolute, relative = lift_estimates(exposed, holdout)
    assert absolute is not None and relative is None


def test_roas_divides_revenue_interval_by_public_spend() -> None:
    assert ratio_estimate(Estimate(100.0, 80.0, 120.0), 50.0) == Estimate(2.0, 1.6, 2.4)
    assert ratio_estimate(Estimate(100.0, 80.0, 120.0), None) is None
    assert ratio_estimate(Estimate(100.0, 80.0, 120.0), 0.0) is None
