"""zCDP (``noise: gaussian``) against pure DP (``noise: laplace``) on the same world.

Used by ``bench_utility.py``. Both sides take their statistics from the one calibration
the release path uses (:func:`policies.calibration.template_statistics`, with the
policy's ``noise``), so each side's sensitivities (L1 for Laplace, L2 for the Gaussian),
epsilon or rho shares and scales are exactly what a real query would get. The world is
the utility world (10% holdout, 3% base rate, +10% lift, orders of about 50) with
``G`` campaigns of 20,000 people each, at epsilon 1/2 and delta 1e-9, for three policies:
the ``standard`` preset with 5 and with 20 declared campaigns (C = 20), and a copy with
``max_campaigns_per_user`` = 50 and 50 campaigns. Seeded noise: discrete Laplace as the
difference of geometrics, the discrete Gaussian exactly by its inverse CDF (sigma up to
10^4; above, a rounded normal, indistinguishable at that sigma).
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import numpy as np

from cleanroom.release.intervals import (
    Arm,
    NoisyCount,
    count_estimate,
    lift_estimates,
    rate_estimate,
)
from policies import Policy, Template, preset
from policies.calibration import Statistic, template_statistics
from policies.noise import NoiseMechanism, NoiseRules

EPSILON, DELTA = Fraction(1, 2), Fraction(1, 10**9)
AUDIENCE, HOLDOUT, BASE, LIFT, ORDER = 20_000, 0.1, 0.03, 0.1, 50.0
GAUSSIAN = NoiseRules(NoiseMechanism.GAUSSIAN, DELTA)
CASES = (("standard, 5 campaigns", 20, 5), ("standard, 20 campaigns", 20, 20),
         ("C = 50, 50 campaigns", 50, 50))  # fmt: skip

_CDF: dict[float, tuple[np.ndarray, np.ndarray]] = {}


def _policy(max_campaigns: int) -> Policy:
    base = preset("standard")
    return replace(
        base, contribution=replace(base.contribution, max_campaigns_per_user=max_campaigns)
    )


def statistics(
    template: Template, max_campaigns: int, groups: int, gaussian: bool
) -> tuple[Statistic, ...]:
    c = _policy(max_campaigns).contribution
    return template_statistics(
        template,
        EPSILON,
        max_campaigns=c.max_campaigns_per_user,
        max_purchases=c.max_purchases_per_user,
        cap_cents=int(c.amount_cap * 100),
        groups=groups,
        noise=GAUSSIAN if gaussian else None,
    )


def draw(rng: np.random.Generator, stat: Statistic, size: int) -> np.ndarray:
    scale = float(stat.scale)
    if not stat.gaussian:
        p = 1.0 - math.exp(-1.0 / scale)
        return rng.geometric(p, size) - rng.geometric(p, size)
    if scale > 1e4:
        return np.rint(rng.normal(0.0, scale, size)).astype(np.int64)
    if scale not in _CDF:
        reach = int(40 * scale) + 40
        support = np.arange(-reach, reach + 1)
        weights = np.exp(-(support.astype(float) ** 2) / (2 * scale * scale))
        _CDF[scale] = (support, np.cumsum(weights) / weights.sum())
    support, cdf = _CDF[scale]
    return support[np.minimum(np.searchsorted(cdf, rng.random(size)), len(support) - 1)]


def cell(value: int, stat: Statistic) -> NoisyCount:
    return NoisyCount(int(value), stat.variance, stat.half_width)


Tally = dict[str, tuple[list[float], list[bool]]]


def _add(tally: Tally, name: str, value: float, low: float, high: float, truth: float) -> None:
    sq, hit = tally.setdefault(name, ([], []))
    sq.append((value - truth) ** 2)
    hit.append(low <= truth <= high)


def measure(releases: int, seed: int = 13) -> dict[str, tuple[Tally, Tally]]:
    """Per case the squared errors and hits of each statistic: ``(laplace, gaussian)``."""
    rng = np.random.default_rng(seed)
    out: dict[str, tuple[Tally, Tally]] = {}
    for case, max_campaigns, groups in CASES:
        sides: list[Tally] = []
        for gaussian in (False, True):
            (lift,) = statistics(Template.LIFT, max_campaigns, groups, gaussian)
            conversions = statistics(Template.CONVERSIONS, max_campaigns, groups, gaussian)
            tally: Tally = {}
            for _ in range(releases):
                _release(rng, tally, lift, conversions)
            sides.append(tally)
        out[case] = (sides[0], sides[1])
    return out


def _release(
    rng: np.random.Generator, tally: Tally, lift: Statistic, conversions: tuple[Statistic, ...]
) -> None:
    """One campaign released once: lift (four cells), converted users and revenue."""
    p_h, p_e = BASE, BASE * (1 + LIFT)
    n_h = round(AUDIENCE * HOLDOUT)
    n_e = AUDIENCE - n_h
    c_e, c_h = int(rng.binomial(n_e, p_e)), int(rng.binomial(n_h, p_h))
    true = (c_e, n_e - c_e, c_h, n_h - c_h)
    cells = [cell(v + int(e), lift) for v, e in zip(true, draw(rng, lift, 4), strict=True)]
    exposed, holdout = Arm.of_cells(*cells[:2]), Arm.of_cells(*cells[2:])
    absolute, relative = lift_estimates(exposed, holdout)
    found = {
        "lift exposed_rate": (rate_estimate(exposed), p_e),
        "lift absolute_lift": (absolute, p_e - p_h),
        "lift relative_lift": (relative, p_e / p_h - 1),
    }
    conv, rev = conversions
    converted = count_estimate(cell(c_e + int(draw(rng, conv, 1)[0]), conv))
    cents = round(float(rng.gamma(2.0, ORDER / 2, c_e).clip(0, 500).sum()) * 100)
    revenue = count_estimate(cell(cents + int(draw(rng, rev, 1)[0]), rev), 100)
    found["conversions converted_users"] = (converted, c_e)
    found["conversions revenue"] = (revenue, cents / 100)
    for name, (est, truth) in found.items():
        if est is not None:
            _add(tally, name, est.value, est.low, est.high, truth)


def rmse(tally: Tally, name: str) -> float:
    return math.sqrt(float(np.mean(tally[name][0])))


def coverage(tally: Tally, name: str) -> float:
    return float(np.mean(tally[name][1]))
