"""Revenue bounds of the ``standard`` preset: bias (true revenue cut by the bounds)
against noise (what the bounds cost in noise), per campaign, at the same epsilon.

A conversions query spends epsilon/2 on revenue, noised with sensitivity P x cap (P =
``max_purchases_per_user``, cap = ``amount_cap``), so the noise sd per campaign is
``sqrt(2) x P x cap / (epsilon / 2)`` (discrete Laplace in cents, about the continuous
value at these scales). The bounds cut revenue: a converting user keeps at most P of
their attributable purchases (the engine picks them by a per-user hash: a random subset
here) and each amount is clamped to the cap.

The world: one campaign of 20,000 exposed people converting at 3.3% within the window;
a converter makes 1 + Poisson(0.3) attributable purchases, or 1 + Poisson(3) for the 10%
of heavy buyers; amounts are lognormal, either the demo's (median 27, mean 41) or a
pricier basket (median 60, mean 99). Each option row: bias (share of true revenue cut),
noise sd, and the RMSE of the revenue estimate (bias and noise together) as a share of
the true revenue; the ratio is the current preset's RMSE over the option's (higher is
better).
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.common import Result

EXPOSED, RATE, HEAVY = 20_000, 0.033, 0.10
BASKETS = {"demo basket (median 27)": (3.3, 0.9), "pricier basket (median 60)": (math.log(60), 1.0)}
#: (max_purchases_per_user, amount_cap): the current preset first.
OPTIONS = ((50, 500), (10, 500), (5, 500), (5, 250), (4, 250), (3, 200))
EPSILON = 0.5


def noise_sd(purchases: int, cap: float, epsilon: float = EPSILON) -> float:
    return math.sqrt(2) * purchases * cap / (epsilon / 2)


def _world(rng: np.random.Generator, basket: tuple[float, float]) -> list[np.ndarray]:
    converters = rng.binomial(EXPOSED, RATE)
    heavy = rng.random(converters) < HEAVY
    counts = 1 + np.where(heavy, rng.poisson(3.0, converters), rng.poisson(0.3, converters))
    mu, sigma = basket
    return [rng.lognormal(mu, sigma, k) for k in counts]


def _bounded(rng: np.random.Generator, users: list[np.ndarray], p: int, cap: float) -> float:
    total = 0.0
    for amounts in users:
        kept = amounts if len(amounts) <= p else rng.choice(amounts, p, replace=False)
        total += float(np.minimum(np.round(kept, 2), cap).sum())
    return total


def measure(worlds: int, seed: int = 21) -> dict[str, dict[tuple[int, int], tuple[float, float]]]:
    """basket -> option -> (mean share of revenue cut, mean true revenue)."""
    rng = np.random.default_rng(seed)
    found: dict[str, dict[tuple[int, int], tuple[float, float]]] = {}
    for name, basket in BASKETS.items():
        cut: dict[tuple[int, int], list[float]] = {o: [] for o in OPTIONS}
        truths = []
        for _ in range(worlds):
            users = _world(rng, basket)
            truth = float(sum(float(np.round(a, 2).sum()) for a in users))
            truths.append(truth)
            for p, cap in OPTIONS:
                cut[(p, cap)].append(1 - _bounded(rng, users, p, cap) / truth)
        found[name] = {o: (float(np.mean(v)), float(np.mean(truths))) for o, v in cut.items()}
    return found


def run(quick: bool) -> list[Result]:
    results = []
    for basket, options in measure(3 if quick else 20).items():
        current = None
        for (p, cap), (cut, truth) in options.items():
            sd = noise_sd(p, cap)
            rmse = math.hypot(cut * truth, sd) / truth
            current = current or rmse
            results.append(
                Result(
                    name=f"revenue bounds P={p}, cap={cap}, {basket}: RMSE current / this",
                    value=current / rmse,
                    unit="x",
                    notes=(
                        f"bias {100 * cut:.2f}% of true revenue {truth:,.0f}; noise sd "
                        f"{sd:,.0f} per campaign; RMSE {100 * rmse:.1f}% of the truth "
                        f"(eps {EPSILON}, revenue at eps/2)"
                    ),
                )
            )
    return results
