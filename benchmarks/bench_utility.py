"""Utility of the released numbers: RMSE and interval coverage, before and after #13.

A generated world with known truth (five campaigns of 5,000-50,000 people, 10% holdout,
3% organic conversion, +10% lift, orders of about 50) is released many times under the
``standard`` preset (epsilon 1/2 per query) in two ways, at the same epsilon:

- **before**: the release path as it was: conversions counted the holdout as exposed;
  separate noisy counts (users and converted at epsilon/2 each for lift, epsilon/3 each
  for conversions and for overlap's three counts), sensitivity C = 20 whatever the
  number of campaigns, counts clamped at 0, delta-method rate and lift intervals;
- **after**: exposed users only, one histogram over disjoint cells with the whole
  epsilon (conversions: epsilon/2, revenue the other half), sensitivity min(C, 5) = 5,
  no clamping, the intervals of :mod:`cleanroom.release.intervals`.

Noise is drawn with numpy from the same discrete Laplace distributions (seeded; OpenDP
cannot be seeded), outcomes are binomial per release. Each row: RMSE before / after
(higher is better) and the coverage of both. The truth of a count is the realized count,
of a rate or lift the population value.

The last rows measure the policy choice ``noise: gaussian`` (zCDP, discrete Gaussian
at epsilon 1/2 and delta 1e-9) against the default pure DP on the same world, per
statistic, for 5, 20 and 50 groups per user (:mod:`benchmarks.utility_zcdp`): RMSE
pure DP / zCDP (above 1: the Gaussian is better) and the coverage of both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from benchmarks import utility_zcdp
from benchmarks.common import Result
from cleanroom.release.intervals import (
    Arm,
    NoisyCount,
    count_estimate,
    lift_estimates,
    rate_estimate,
)
from policies import Template, preset
from policies.calibration import (
    Z95,
    discrete_laplace_half_width,
    discrete_laplace_variance,
    template_statistics,
)

AUDIENCE = (5_000, 10_000, 20_000, 50_000, 8_000)
HOLDOUT, BASE, LIFT, ORDER = 0.1, 0.03, 0.1, 50.0
SPEND = 2_000.0


@dataclass
class Tally:
    """Squared errors and interval hits of one statistic, before and after."""

    sq: dict[str, list[float]]
    hit: dict[str, list[bool]]

    @classmethod
    def empty(cls) -> Tally:
        return cls({"before": [], "after": []}, {"before": [], "after": []})

    def add(self, which: str, value: float, low: float, high: float, truth: float) -> None:
        self.sq[which].append((value - truth) ** 2)
        self.hit[which].append(low <= truth <= high)

    def rmse(self, which: str) -> float:
        return math.sqrt(float(np.mean(self.sq[which])))

    def coverage(self, which: str) -> float:
        return float(np.mean(self.hit[which]))


def _laplace(rng: np.random.Generator, scale: float, size: int) -> np.ndarray:
    p = 1.0 - math.exp(-1.0 / scale)
    return rng.geometric(p, size) - rng.geometric(p, size)


def _cell(value: int, scale: float) -> NoisyCount:
    return NoisyCount(value, discrete_laplace_variance(scale), discrete_laplace_half_width(scale))


# The release before #13, kept here only to measure against (delta method, clamping).
def _before_count(value: int, scale: float) -> tuple[float, float, float]:
    h = discrete_laplace_half_width(scale)
    return max(value, 0), max(value - h, 0), max(value + h, 0)


def _before_rate(c: int, n: int, scale: float) -> tuple[float, float, float, float] | None:
    if n <= 0:
        return None
    v = discrete_laplace_variance(scale)
    p = min(max(c / n, 0.0), 1.0)
    var = p * (1 - p) / n + (v + p * p * v) / (n * n)
    half = Z95 * math.sqrt(var)
    return p, max(p - half, 0.0), min(p + half, 1.0), var


def _after_scales(template: Template, groups: int) -> list[float]:
    policy = preset("standard")
    bounds = policy.contribution
    stats = template_statistics(
        template,
        max(policy.epsilon_choices),
        max_campaigns=bounds.max_campaigns_per_user,
        max_purchases=bounds.max_purchases_per_user,
        cap_cents=int(bounds.amount_cap * 100),
        groups=groups,
    )
    return [float(s.scale) for s in stats]


def _before_scale(sensitivity: int, parts: int) -> float:
    return float(Fraction(sensitivity) / (max(preset("standard").epsilon_choices) / parts))


def _lift(rng: np.random.Generator, releases: int, tallies: dict[str, Tally]) -> None:
    (after,) = _after_scales(Template.LIFT, len(AUDIENCE))
    before = _before_scale(preset("standard").contribution.max_campaigns_per_user, 2)
    p_h, p_e = BASE, BASE * (1 + LIFT)
    for audience in AUDIENCE:
        n_h = round(audience * HOLDOUT)
        n_e = audience - n_h
        for _ in range(releases):
            c_e, c_h = int(rng.binomial(n_e, p_e)), int(rng.binomial(n_h, p_h))
            # after: four cells, one scale
            ne = _laplace(rng, after, 4)
            e = Arm.of_cells(_cell(c_e + int(ne[0]), after), _cell(n_e - c_e + int(ne[1]), after))
            h = Arm.of_cells(_cell(c_h + int(ne[2]), after), _cell(n_h - c_h + int(ne[3]), after))
            rate, (absolute, relative) = rate_estimate(e), lift_estimates(e, h)
            if rate is not None:
                tallies["lift exposed_rate"].add("after", rate.value, rate.low, rate.high, p_e)
            if absolute is not None:
                tallies["lift absolute_lift"].add(
                    "after", absolute.value, absolute.low, absolute.high, p_e - p_h
                )
            if relative is not None:
                tallies["lift relative_lift"].add(
                    "after", relative.value, relative.low, relative.high, p_e / p_h - 1
                )
            # before: users and converted noised separately, scale C / (epsilon / 2)
            nb = _laplace(rng, before, 4)
            re = _before_rate(c_e + int(nb[0]), n_e + int(nb[1]), before)
            rh = _before_rate(c_h + int(nb[2]), n_h + int(nb[3]), before)
            if re is not None:
                tallies["lift exposed_rate"].add("before", *re[:3], p_e)
            if re is not None and rh is not None:
                d, var = re[0] - rh[0], re[3] + rh[3]
                half = Z95 * math.sqrt(var)
                tallies["lift absolute_lift"].add("before", d, d - half, d + half, p_e - p_h)
                if rh[0] > 0:
                    r = re[0] / rh[0] - 1
                    rv = re[3] / rh[0] ** 2 + re[0] ** 2 * rh[3] / rh[0] ** 4
                    rhalf = Z95 * math.sqrt(rv)
                    tallies["lift relative_lift"].add(
                        "before", r, max(r - rhalf, -1.0), r + rhalf, p_e / p_h - 1
                    )


def _conversions(rng: np.random.Generator, releases: int, tallies: dict[str, Tally]) -> None:
    after, after_rev = _after_scales(Template.CONVERSIONS, len(AUDIENCE))
    c = preset("standard").contribution
    before = _before_scale(c.max_campaigns_per_user, 3)
    before_rev = _before_scale(c.max_purchases_per_user * int(c.amount_cap * 100), 3)
    p_h, p_e = BASE, BASE * (1 + LIFT)
    for audience in AUDIENCE:
        n_h = round(audience * HOLDOUT)
        n_e = audience - n_h
        for _ in range(releases):
            c_e, c_h = int(rng.binomial(n_e, p_e)), int(rng.binomial(n_h, p_h))
            cents = round(float(rng.gamma(2.0, ORDER / 2, c_e + c_h).clip(0, 500).sum()) * 100)
            cents_e = round(cents * c_e / max(c_e + c_h, 1))
            truth = {"converted": c_e, "revenue": cents_e / 100, "roas": cents_e / 100 / SPEND}
            ne = _laplace(rng, after, 2)
            arm = Arm.of_cells(_cell(c_e + int(ne[0]), after), _cell(n_e - c_e + int(ne[1]), after))
            converted = count_estimate(arm.converted)
            tallies["conversions converted_users"].add(
                "after", converted.value, converted.low, converted.high, c_e
            )
            rate = rate_estimate(arm)
            if rate is not None:
                tallies["conversions conversion_rate"].add(
                    "after", rate.value, rate.low, rate.high, p_e
                )
            rev = count_estimate(
                _cell(cents_e + int(_laplace(rng, after_rev, 1)[0]), after_rev), 100
            )
            tallies["conversions revenue"].add(
                "after", rev.value, rev.low, rev.high, truth["revenue"]
            )
            tallies["conversions roas"].add(
                "after", rev.value / SPEND, rev.low / SPEND, rev.high / SPEND, truth["roas"]
            )
            # before: the holdout counted as exposed; three counts at epsilon/3; clamping
            nb = _laplace(rng, before, 2)
            counted_c, counted_n = c_e + c_h, audience
            conv_b = _before_count(counted_c + int(nb[0]), before)
            tallies["conversions converted_users"].add("before", *conv_b, c_e)
            rate_b = _before_rate(counted_c + int(nb[0]), counted_n + int(nb[1]), before)
            if rate_b is not None:
                tallies["conversions conversion_rate"].add("before", *rate_b[:3], p_e)
            noisy = cents + int(_laplace(rng, before_rev, 1)[0])
            rev_b = [x / 100 for x in _before_count(noisy, before_rev)]
            tallies["conversions revenue"].add("before", *rev_b, truth["revenue"])
            tallies["conversions roas"].add("before", *(x / SPEND for x in rev_b), truth["roas"])


def _overlap(rng: np.random.Generator, releases: int, tallies: dict[str, Tally]) -> None:
    exposures, matched = 93_000, 30_000
    (after,) = _after_scales(Template.OVERLAP, 1)
    before = _before_scale(1, 3)
    truth = {"matched": matched, "exposures": exposures}
    for _ in range(releases):
        ne = _laplace(rng, after, 3)
        e_only = _cell(exposures - matched + int(ne[0]), after)
        both = _cell(matched + int(ne[2]), after)
        found = {"matched": count_estimate(both), "exposures": count_estimate(e_only + both)}
        nb = _laplace(rng, before, 2)
        old = {
            "matched": _before_count(matched + int(nb[0]), before),
            "exposures": _before_count(exposures + int(nb[1]), before),
        }
        for name in ("matched", "exposures"):
            est = found[name]
            tallies[f"overlap {name}"].add("after", est.value, est.low, est.high, truth[name])
            tallies[f"overlap {name}"].add("before", *old[name], truth[name])


SECTIONS: tuple[Callable[[np.random.Generator, int, dict[str, Tally]], None], ...] = (
    _overlap,
    _conversions,
    _lift,
)


def measure(releases: int, seed: int = 13) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    rng = np.random.default_rng(seed)
    for section in SECTIONS:
        section(rng, releases, _Default(tallies))
    return tallies


class _Default(dict[str, Tally]):
    def __init__(self, target: dict[str, Tally]) -> None:
        super().__init__()
        self._target = target

    def __getitem__(self, key: str) -> Tally:
        return self._target.setdefault(key, Tally.empty())


def run(quick: bool) -> list[Result]:
    releases = 100 if quick else 1_000
    results = []
    for name, tally in measure(releases).items():
        before, after = tally.rmse("before"), tally.rmse("after")
        results.append(
            Result(
                name=f"{name}: RMSE before / after",
                value=before / after,
                unit="x",
                notes=(
                    f"RMSE {before:.4g} -> {after:.4g}; coverage "
                    f"{100 * tally.coverage('before'):.1f}% -> {100 * tally.coverage('after'):.1f}%"
                    f"; {releases} releases x {len(AUDIENCE)} campaigns, standard preset, eps 1/2"
                ),
            )
        )
    return results + zcdp_rows(releases)


def zcdp_rows(releases: int) -> list[Result]:
    """RMSE pure DP / zCDP per statistic and case (same world, same epsilon)."""
    rows = []
    for case, (laplace, gaussian) in utility_zcdp.measure(releases).items():
        for name in laplace:
            pure, z = utility_zcdp.rmse(laplace, name), utility_zcdp.rmse(gaussian, name)
            rows.append(
                Result(
                    name=f"zCDP vs pure DP, {name} ({case}): RMSE pure DP / zCDP",
                    value=pure / z,
                    unit="x",
                    notes=(
                        f"RMSE Laplace {pure:.4g}, Gaussian {z:.4g}; coverage "
                        f"{100 * utility_zcdp.coverage(laplace, name):.1f}% / "
                        f"{100 * utility_zcdp.coverage(gaussian, name):.1f}%; "
                        f"eps 1/2, delta 1e-9, {releases} releases"
                    ),
                )
            )
    return rows
