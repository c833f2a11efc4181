"""Coverage of the rate and lift intervals in every regime a user can reach.

Each regime is one campaign released 2,000 times (seeded binomial outcomes and seeded
discrete Laplace noise on the four lift cells, see ``simulate.py``); the standard error
of a coverage near 95% is about 0.5 points. Measured with these seeds (rate /
absolute lift / relative lift given release; relative lift withheld):

====================================  =====  =====  =====  ========
regime                                rate   abs.   rel.   withheld
====================================  =====  =====  =====  ========
small arms (200 / 200, scale 2)       0.965  0.948  0.956  0.011
10% holdout (4,500 / 500, scale 10)   0.961  0.955  0.976  0.120
noise-dominated (2,000 / 200, s 100)  0.952  0.941  0.963  0.526
lift near zero (3,000 / 3,000)        0.948  0.951  0.951  0.000
large (20,000 / 20,000)               0.955  0.959  0.959  0.000
tiny arms (60 / 60, no lift)          0.952  0.982  0.984  0.300
10% holdout, noisy (45,000 / 5,000)   0.956  0.954  0.971  0.162
high rates (500 / 100, 0.9 vs 0.8)    0.962  0.960  0.959  0.000
====================================  =====  =====  =====  ========

Incremental revenue (and incremental ROAS, the same interval over public spend), with
revenue noise scales of 500 to 50,000 dollars (``REVENUE_REGIMES``): coverage /
withheld (noisy holdout users <= 0) / unbounded (Fieller: holdout users not clearly
above 0) / mean width of the bounded ones in dollars:

====================================  =====  ========  =========  =========
regime                                cover  withheld  unbounded  width
====================================  =====  ========  =========  =========
small arms                            0.993  0.000     0.000      7,207
10% holdout                           0.960  0.000     0.000      281,432
noise-dominated                       0.995  0.136     0.745      3,964,840
lift near zero                        0.981  0.000     0.000      51,481
large                                 1.000  0.000     0.000      56,726
tiny arms                             0.988  0.000     0.000      10,422
10% holdout, noisy                    0.953  0.000     0.000      1,093,968
sampling-dominated (20,000 / 2,000)   1.000  0.000     0.000      126,996
====================================  =====  ========  =========  =========

The sampling term is a Bhatia-Davis bound (per-user revenue in [0, P x cap]), so
where sampling dominates the interval is conservative (coverage 1.000).

(Regenerate with ``python -m tests.statistical.test_interval_coverage``.) A withheld
relative lift (noisy holdout rate <= 0) is reported separately: its point estimate
does not exist, and the absolute lift is still released.
"""

from __future__ import annotations

import pytest

from tests.statistical.simulate import LiftWorld, RevenueWorld, lift_coverage, revenue_coverage

RELEASES = 2_000

REGIMES = [
    LiftWorld("small arms", 200, 200, 0.07, 0.05, 2.0),
    LiftWorld("10% holdout", 4_500, 500, 0.036, 0.03, 10.0),
    LiftWorld("noise-dominated", 2_000, 200, 0.025, 0.02, 100.0),
    LiftWorld("lift near zero", 3_000, 3_000, 0.1, 0.1, 10.0),
    LiftWorld("large", 20_000, 20_000, 0.06, 0.05, 10.0),
    LiftWorld("tiny arms", 60, 60, 0.05, 0.05, 4.0),
    LiftWorld("10% holdout, noisy", 45_000, 5_000, 0.012, 0.01, 40.0),
    LiftWorld("high rates", 500, 100, 0.9, 0.8, 5.0),
]


REVENUE_REGIMES = [
    RevenueWorld(REGIMES[0], 80.0, 1_000.0, 50_000.0),
    RevenueWorld(REGIMES[1], 80.0, 1_000.0, 500_000.0),
    RevenueWorld(REGIMES[2], 80.0, 1_000.0, 5_000_000.0),
    RevenueWorld(REGIMES[3], 80.0, 1_000.0, 500_000.0),
    RevenueWorld(REGIMES[4], 80.0, 1_000.0, 100_000.0),
    RevenueWorld(REGIMES[5], 80.0, 1_000.0, 100_000.0),
    RevenueWorld(REGIMES[6], 80.0, 1_000.0, 2_000_000.0),
    RevenueWorld(
        LiftWorld("sampling-dominated", 20_000, 2_000, 0.06, 0.05, 10.0), 80.0, 1_000.0, 100.0
    ),
]
"""Revenue noise scales in cents: 500 to 50,000 dollars, the range of the demo preset
(min(C, G) x P x cap = 5 x 4 x 250 dollars at epsilon 1/4: 20,000 dollars) and below;
the last regime has next to no revenue noise, so sampling dominates."""


@pytest.mark.parametrize("world", REVENUE_REGIMES, ids=lambda w: w.name)
def test_incremental_revenue_and_roas_intervals_cover_at_least_93_percent(
    world: RevenueWorld,
) -> None:
    coverage = revenue_coverage(world, RELEASES, REVENUE_REGIMES.index(world) + 11)
    assert coverage.revenue >= 0.93, coverage
    assert coverage.roas >= 0.93, coverage


def test_incremental_revenue_intervals_narrow_as_noise_falls() -> None:
    lift = LiftWorld("quiet", 4_500, 500, 0.036, 0.03, 10.0)
    noisy = revenue_coverage(RevenueWorld(lift, 80.0, 1_000.0, 500_000.0), 300, 5)
    quiet = revenue_coverage(RevenueWorld(lift, 80.0, 1_000.0, 5_000.0), 300, 5)
    assert quiet.width < noisy.width / 4


@pytest.mark.parametrize("world", REGIMES, ids=lambda w: w.name)
def test_rate_and_lift_intervals_cover_at_least_93_percent(world: LiftWorld) -> None:
    seed = REGIMES.index(world) + 1
    coverage = lift_coverage(world, RELEASES, seed)
    for measured in (coverage.rate, coverage.absolute, coverage.relative):
        assert 0.93 <= measured <= 0.99, coverage


def test_intervals_narrow_as_noise_falls() -> None:
    """Not trivially wide: the same campaign with 10x less noise, tighter lift."""
    noisy = LiftWorld("noisy", 4_500, 500, 0.036, 0.03, 100.0)
    quiet = LiftWorld("quiet", 4_500, 500, 0.036, 0.03, 10.0)
    assert (
        lift_coverage(quiet, 500, 9).absolute_width
        < lift_coverage(noisy, 500, 9).absolute_width / 2
    )


if __name__ == "__main__":  # pragma: no cover - prints the table of the docstring
    for i, w in enumerate(REGIMES):
        c = lift_coverage(w, RELEASES, i + 1)
        print(
            f"{w.name:22s} {c.rate:.3f} {c.absolute:.3f} {c.relative:.3f} {c.relative_withheld:.3f}"
        )
    for i, rw in enumerate(REVENUE_REGIMES):
        r = revenue_coverage(rw, RELEASES, i + 11)
        print(
            f"{rw.name:22s} revenue {r.revenue:.3f} roas {r.roas:.3f} withheld "
            f"{r.withheld:.3f} unbounded {r.unbounded:.3f} width {r.width:.0f}"
        )
