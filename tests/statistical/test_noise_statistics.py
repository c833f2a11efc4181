"""Statistical checks of the released noise and intervals.

OpenDP draws noise from the OS CSPRNG, which cannot be seeded; data (true rates,
binomial outcomes) come from seeded numpy generators. Every check uses 400 releases of
vectors of many cells, so the empirical coverage has a standard error of about 0.2
percentage points and the 93-97% band is more than 8 standard errors wide.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from cleanroom.release.intervals import (
    Arm,
    NoisyCount,
    count_estimate,
    lift_estimates,
    rate_estimate,
)
from cleanroom.release.noise import calibrate, release_vector
from tests.statistical.simulate import discrete_laplace

RELEASES = 400
CELLS = 25


@pytest.mark.parametrize(
    ("sensitivity", "epsilon"), [(1, Fraction(1, 3)), (5, Fraction(1, 2)), (20, Fraction(2))]
)
def test_noise_scale_is_sensitivity_over_epsilon(sensitivity: int, epsilon: Fraction) -> None:
    _, cal = calibrate("x", sensitivity, epsilon)
    assert cal.scale == pytest.approx(sensitivity / float(epsilon), rel=1e-12)
    draws = np.array(release_vector("x", [0] * 20_000, sensitivity, epsilon).values)
    # mean |X| of a discrete Laplace ~ scale for scales well above 1
    assert np.mean(np.abs(draws)) == pytest.approx(cal.scale, rel=0.05)
    assert np.var(draws) == pytest.approx(cal.variance, rel=0.08)


@pytest.mark.parametrize("scale", [1.5, 12.0])
def test_numpy_sampler_matches_opendp(scale: float) -> None:
    """The seeded sampler of the coverage tests draws OpenDP's distribution."""
    epsilon = Fraction(1) / Fraction(scale)
    _, cal = calibrate("x", 1, epsilon)
    ours = discrete_laplace(np.random.default_rng(4), cal.scale, 20_000)
    theirs = np.array(release_vector("x", [0] * 20_000, 1, epsilon).values)
    assert np.var(ours) == pytest.approx(cal.variance, rel=0.05)
    assert np.var(theirs) == pytest.approx(cal.variance, rel=0.05)
    for a in (1, 3):
        assert np.mean(np.abs(ours) >= a * scale) == pytest.approx(
            np.mean(np.abs(theirs) >= a * scale), abs=0.02
        )


def test_count_intervals_cover_95_percent() -> None:
    truth = np.random.default_rng(1).integers(50, 5_000, CELLS).tolist()
    covered = 0
    for _ in range(RELEASES):
        noisy = release_vector("users", truth, 3, Fraction(1, 3))
        for true, value in zip(truth, noisy.values, strict=True):
            est = count_estimate(NoisyCount.of(value, noisy.calibration))
            covered += est.low <= true <= est.high
    assert 0.93 <= covered / (RELEASES * CELLS) <= 0.97


def test_rate_intervals_cover_the_population_rate() -> None:
    """Sampling error (binomial conversions of n users) plus DP noise on both counts."""
    rng = np.random.default_rng(2)
    rates = rng.uniform(0.02, 0.4, CELLS)
    users = rng.integers(300, 3_000, CELLS)
    covered = 0
    for _ in range(RELEASES):
        converted = rng.binomial(users, rates)
        n = release_vector("exposed", users.tolist(), 2, Fraction(1, 3))
        c = release_vector("converted", converted.tolist(), 2, Fraction(1, 3))
        for i in range(CELLS):
            est = rate_estimate(
                Arm(
                    NoisyCount.of(c.values[i], c.calibration),
                    NoisyCount.of(n.values[i], n.calibration),
                )
            )
            assert est is not None
            covered += est.low <= rates[i] <= est.high
    assert 0.93 <= covered / (RELEASES * CELLS) <= 0.97


def test_lift_intervals_cover_the_population_lift() -> None:
    """Absolute and relative lift from separately noised counts; a relative lift
    withheld (noisy holdout rate <= 0) counts as a miss."""
    rng = np.random.default_rng(3)
    exposed_rate = rng.uniform(0.05, 0.3, CELLS)
    holdout_rate = exposed_rate * rng.uniform(0.5, 1.0, CELLS)
    users = rng.integers(500, 3_000, (2, CELLS))
    covered = relative_covered = 0
    for _ in range(RELEASES):
        conv_e = rng.binomial(users[0], exposed_rate)
        conv_h = rng.binomial(users[1], holdout_rate)
        n = release_vector("arm_users", [*users[0], *users[1]], 3, Fraction(1, 4))
        c = release_vector("arm_converted", [*conv_e, *conv_h], 3, Fraction(1, 4))
        for i in range(CELLS):
            absolute, relative = lift_estimates(
                Arm(
                    NoisyCount.of(c.values[i], c.calibration),
                    NoisyCount.of(n.values[i], n.calibration),
                ),
                Arm(
                    NoisyCount.of(c.values[CELLS + i], c.calibration),
                    NoisyCount.of(n.values[CELLS + i], n.calibration),
                ),
            )
            assert absolute is not None
            covered += absolute.low <= exposed_rate[i] - holdout_rate[i] <= absolute.high
            truth = exposed_rate[i] / holdout_rate[i] - 1
            relative_covered += relative is not None and relative.low <= truth <= relative.high
    assert 0.93 <= covered / (RELEASES * CELLS) <= 0.975
    assert 0.93 <= relative_covered / (RELEASES * CELLS) <= 0.97
