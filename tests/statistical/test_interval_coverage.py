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

(Regenerate with ``python -m tests.statistical.test_interval_coverage``.) A withheld
relative lift (noisy holdout rate <= 0) is reported separately: its point estimate
does not exist, and the absolute lift is still released.
"""

from __future__ import annotations

import pytest

from tests.statistical.simulate import LiftWorld, lift_coverage

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
