"""Seeded numpy simulation of releases: binomial outcomes and discrete Laplace noise.

OpenDP's noise cannot be seeded, so coverage tests draw the same distribution with
numpy: a discrete Laplace variable of scale ``s`` is the difference of two iid
geometric variables with success probability ``1 - exp(-1/s)``
(``test_numpy_sampler_matches_opendp`` in ``test_noise_statistics.py`` checks the
variance against OpenDP's draws).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cleanroom.release.intervals import Arm, NoisyCount, lift_estimates, rate_estimate
from cleanroom.release.model import Estimate
from policies.calibration import discrete_laplace_half_width, discrete_laplace_variance


def discrete_laplace(
    rng: np.random.Generator, scale: float, size: int | tuple[int, ...]
) -> np.ndarray:
    p = 1.0 - math.exp(-1.0 / scale)
    return rng.geometric(p, size) - rng.geometric(p, size)


def cell(value: int, scale: float) -> NoisyCount:
    return NoisyCount(
        int(value), discrete_laplace_variance(scale), discrete_laplace_half_width(scale)
    )


@dataclass(frozen=True)
class LiftWorld:
    """One campaign: arm sizes, population rates, noise scale of the lift histogram."""

    name: str
    exposed: int
    holdout: int
    exposed_rate: float
    holdout_rate: float
    scale: float

    @property
    def absolute(self) -> float:
        return self.exposed_rate - self.holdout_rate

    @property
    def relative(self) -> float:
        return self.exposed_rate / self.holdout_rate - 1


@dataclass(frozen=True)
class Coverage:
    rate: float
    absolute: float
    relative: float
    relative_withheld: float
    absolute_width: float


def _share(hits: Sequence[bool]) -> float:
    return float(np.mean(hits)) if hits else float("nan")


def absolute_lifts(world: LiftWorld, releases: int, seed: int) -> list[Estimate]:
    """The released absolute lift of ``releases`` seeded draws (withheld ones left out)."""
    found = []
    for exposed, holdout in _arms(world, releases, seed):
        absolute, _ = lift_estimates(exposed, holdout)
        if absolute is not None:
            found.append(absolute)
    return found


def _arms(world: LiftWorld, releases: int, seed: int) -> list[tuple[Arm, Arm]]:
    rng = np.random.default_rng(seed)
    conv_e = rng.binomial(world.exposed, world.exposed_rate, releases)
    conv_h = rng.binomial(world.holdout, world.holdout_rate, releases)
    true = np.stack([conv_e, world.exposed - conv_e, conv_h, world.holdout - conv_h], axis=1)
    noisy = true + discrete_laplace(rng, world.scale, true.shape)
    return [
        (
            Arm.of_cells(cell(ec, world.scale), cell(en, world.scale)),
            Arm.of_cells(cell(hc, world.scale), cell(hn, world.scale)),
        )
        for ec, en, hc, hn in noisy.tolist()
    ]


def lift_coverage(world: LiftWorld, releases: int, seed: int) -> Coverage:
    """Coverage of the exposed rate, absolute and relative lift (given release) over
    ``releases`` seeded draws of outcomes and histogram noise."""
    rate_hits, abs_hits, rel_hits, widths = [], [], [], []
    withheld = 0
    for exposed, holdout in _arms(world, releases, seed):
        rate = rate_estimate(exposed)
        absolute, relative = lift_estimates(exposed, holdout)
        if rate is not None:
            rate_hits.append(rate.low <= world.exposed_rate <= rate.high)
        if absolute is not None:
            abs_hits.append(absolute.low <= world.absolute <= absolute.high)
            widths.append(absolute.high - absolute.low)
        if relative is None:
            withheld += 1
        else:
            rel_hits.append(relative.low <= world.relative <= relative.high)
    return Coverage(
        _share(rate_hits),
        _share(abs_hits),
        _share(rel_hits),
        withheld / releases,
        float(np.mean(widths)),
    )


@dataclass(frozen=True)
class RevenueWorld:
    """A lift campaign with revenue: converters spend a gamma amount (mean ``order``,
    sd ``order``, clamped to ``bound`` dollars, the per-user bound P x cap); ``scale`` is
    the histogram cells' noise scale, ``revenue_scale`` the revenue noise scale (cents)."""

    lift: LiftWorld
    order: float
    bound: float
    revenue_scale: float
    spend: float = 1_000.0

    @property
    def name(self) -> str:
        return self.lift.name

    @property
    def incremental(self) -> float:
        """Population incremental revenue of the exposed arm, in dollars."""
        w = self.lift
        mean = _clamped_gamma_mean(self.order, self.bound)
        return w.exposed * (w.exposed_rate - w.holdout_rate) * mean


def _clamped_gamma_mean(order: float, bound: float) -> float:
    rng = np.random.default_rng(12345)
    return float(np.minimum(rng.gamma(1.0, order, 2_000_000), bound).mean())


@dataclass(frozen=True)
class RevenueCoverage:
    revenue: float
    roas: float
    withheld: float
    width: float
    unbounded: float = 0.0


def revenue_coverage(world: RevenueWorld, releases: int, seed: int) -> RevenueCoverage:
    """Coverage of the incremental revenue and ROAS intervals over ``releases`` seeded
    draws of outcomes, order values, histogram noise and revenue noise."""
    from cleanroom.release.intervals import incremental_estimates

    rng = np.random.default_rng(seed)
    arms = _arms(world.lift, releases, seed)
    truth, hits, roas_hits, widths, withheld, unbounded = world.incremental, [], [], [], 0, 0
    bound_cents = int(world.bound * 100)
    w = world.lift
    for exposed, holdout in arms:
        cents = []
        for n, rate in ((w.exposed, w.exposed_rate), (w.holdout, w.holdout_rate)):
            buyers = rng.binomial(n, rate)
            amounts = np.minimum(rng.gamma(1.0, world.order, buyers), world.bound)
            cents.append(int(np.round(amounts * 100).sum()))
        noisy = np.array(cents) + discrete_laplace(rng, world.revenue_scale, 2)
        e, h = (cell(int(v), world.revenue_scale) for v in noisy)
        revenue, roas = incremental_estimates(e, h, exposed, holdout, bound_cents, world.spend)
        if revenue is None or roas is None:
            withheld += 1
            continue
        hits.append(revenue.low <= truth <= revenue.high)
        roas_hits.append(roas.low <= truth / world.spend <= roas.high)
        if math.isinf(revenue.high - revenue.low):
            unbounded += 1
        else:
            widths.append(revenue.high - revenue.low)
    return RevenueCoverage(
        _share(hits),
        _share(roas_hits),
        withheld / releases,
        float(np.mean(widths)),
        unbounded / releases,
    )
