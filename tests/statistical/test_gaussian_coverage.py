"""Coverage of the intervals when the noise is discrete Gaussian (``noise: gaussian``).

The interval formulas are the Laplace ones (they read each cell's variance and 95%
half-width from its calibration; sums and rate pivots keep the Laplace tail weight,
which is conservative for Gaussian tails). Each regime is one campaign released 1,000
times (seeded binomial outcomes and seeded exact discrete Gaussian noise on the four
lift cells and the two revenue cells, the revenue on a lattice of 1,000 cents;
standard error about 0.7 points). Measured with these seeds (one cell's noise
half-width / rate / absolute / relative lift given release / incremental revenue):

====================================  =====  =====  =====  =====  =====
regime (sigma of a cell)              cell   rate   abs.   rel.   incr.
====================================  =====  =====  =====  =====  =====
small arms (200 / 200, sigma 3)       0.973  0.944  0.959  0.962  0.972
10% holdout (4,500 / 500, sigma 15)   0.955  0.961  0.959  0.979  0.967
noise-dominated (2,000 / 200, 150)    0.956  0.972  0.950  0.970  0.986
lift near zero (3,000 / 3,000, 15)    0.965  0.958  0.951  0.951  0.958
10% holdout, noisy (45,000 / 5,000)   0.953  0.967  0.967  0.984  0.971
====================================  =====  =====  =====  =====  =====

(Regenerate with ``python -m tests.statistical.test_gaussian_coverage``.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from cleanroom.release.intervals import (
    Arm,
    NoisyCount,
    incremental_estimates,
    lift_estimates,
    rate_estimate,
)
from policies.noise import gaussian_half_width

RELEASES = 1_000


def discrete_gaussian(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    """Exact draws of the discrete Gaussian (pmf proportional to exp(-x^2 / 2 sigma^2)),
    by the inverse CDF over [-40 sigma - 40, 40 sigma + 40] (the rest weighs < e^-800)."""
    reach = int(40 * sigma) + 40
    support = np.arange(-reach, reach + 1)
    weights = np.exp(-(support.astype(float) ** 2) / (2 * sigma * sigma))
    return rng.choice(support, size=size, p=weights / weights.sum())


def cell(value: int, sigma: float) -> NoisyCount:
    return NoisyCount(int(value), sigma * sigma, gaussian_half_width(sigma))


@dataclass(frozen=True)
class World:
    name: str
    exposed: int
    holdout: int
    exposed_rate: float
    holdout_rate: float
    sigma: float
    revenue_sigma: float  # cents
    order: float = 80.0
    bound: float = 1_000.0
    spend: float = 1_000.0


REGIMES = [
    World("small arms", 200, 200, 0.07, 0.05, 3.0, 5_000_000.0),
    World("10% holdout", 4_500, 500, 0.036, 0.03, 15.0, 50_000_000.0),
    World("noise-dominated", 2_000, 200, 0.025, 0.02, 150.0, 500_000_000.0),
    World("lift near zero", 3_000, 3_000, 0.1, 0.1, 15.0, 50_000_000.0),
    World("10% holdout, noisy", 45_000, 5_000, 0.012, 0.01, 60.0, 200_000_000.0),
]


def _mean_order(world: World) -> float:
    rng = np.random.default_rng(12345)
    return float(np.minimum(rng.gamma(1.0, world.order, 2_000_000), world.bound).mean())


def coverage(world: World, releases: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    truth_incr = world.exposed * (world.exposed_rate - world.holdout_rate) * _mean_order(world)
    absolute, relative = (
        world.exposed_rate - world.holdout_rate,
        world.exposed_rate / world.holdout_rate - 1,
    )
    hits: dict[str, list[bool]] = {k: [] for k in ("cell", "rate", "abs", "rel", "incr")}
    noise = discrete_gaussian(rng, world.sigma, 4 * releases).reshape(releases, 4)
    revenue_noise = discrete_gaussian(rng, world.revenue_sigma / 1000, 2 * releases) * 1000
    for i in range(releases):
        ce, ch = (
            rng.binomial(world.exposed, world.exposed_rate),
            rng.binomial(world.holdout, world.holdout_rate),
        )
        true = (ce, world.exposed - ce, ch, world.holdout - ch)
        noisy = [t + int(n) for t, n in zip(true, noise[i], strict=True)]
        cells = [cell(v, world.sigma) for v in noisy]
        hits["cell"].append(abs(noisy[0] - ce) <= cells[0].half_width)
        exposed, holdout = Arm.of_cells(cells[0], cells[1]), Arm.of_cells(cells[2], cells[3])
        rate = rate_estimate(exposed)
        if rate is not None:
            hits["rate"].append(rate.low <= world.exposed_rate <= rate.high)
        abs_est, rel_est = lift_estimates(exposed, holdout)
        if abs_est is not None:
            hits["abs"].append(abs_est.low <= absolute <= abs_est.high)
        if rel_est is not None:
            hits["rel"].append(rel_est.low <= relative <= rel_est.high)
        cents = []
        for buyers in (ce, ch):
            amounts = np.minimum(rng.gamma(1.0, world.order, buyers), world.bound)
            cents.append(int(np.round(amounts * 100).sum()))
        # revenue noise: the same distribution at 1/1000 the sigma, times 1000 (a
        # coarser lattice of the same sd keeps the exact sampler small)
        rev = [
            cell(c + int(revenue_noise[2 * i + j]), world.revenue_sigma)
            for j, c in enumerate(cents)
        ]
        incr, _ = incremental_estimates(
            rev[0], rev[1], exposed, holdout, int(world.bound * 100), world.spend
        )
        if incr is not None:
            hits["incr"].append(incr.low <= truth_incr <= incr.high)
    return {k: float(np.mean(v)) if v else math.nan for k, v in hits.items()}


@pytest.mark.parametrize("world", REGIMES, ids=lambda w: w.name)
def test_intervals_under_gaussian_noise_cover_at_least_93_percent(world: World) -> None:
    measured = coverage(world, RELEASES, REGIMES.index(world) + 101)
    assert 0.94 <= measured["cell"] <= 0.98, measured  # ceil: a little above 95%
    for name in ("rate", "abs", "rel", "incr"):
        assert measured[name] >= 0.93, measured


def test_gaussian_sampler_matches_opendp_variance() -> None:
    """The seeded sampler draws what OpenDP draws: same variance at the same sigma."""
    from fractions import Fraction

    from cleanroom.release.noise import release_statistic
    from policies.calibration import Statistic

    stat = Statistic("x", 20, Fraction(1, 2), 20, Fraction(20, 2 * 12**2))  # sigma 12
    theirs = np.array(release_statistic(stat, [0] * 20_000).values)
    ours = discrete_gaussian(np.random.default_rng(7), 12.0, 20_000)
    assert float(ours.var()) == pytest.approx(144.0, rel=0.05)
    assert float(theirs.var()) == pytest.approx(144.0, rel=0.05)


if __name__ == "__main__":  # pragma: no cover
    for w in REGIMES:
        c = coverage(w, RELEASES, REGIMES.index(w) + 101)
        print(
            f"{w.name:<36}",
            "  ".join(f"{c[k]:.3f}" for k in ("cell", "rate", "abs", "rel", "incr")),
        )
