"""The ``noise`` field and the zCDP <-> (epsilon, delta) conversion the ledger relies on."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from fractions import Fraction

import pytest

from policies import InvalidPolicy, canonical_json, parse_policy, policy_hash, preset
from policies.calibration import template_statistics
from policies.canonical import to_canonical
from policies.noise import (
    NoiseMechanism,
    NoiseRules,
    epsilon_at,
    epsilon_of,
    gaussian_half_width,
    query_rho,
)
from policies.parse import parse_party_rules
from tests.unit.policies.helpers import standard

GAUSSIAN = NoiseRules(NoiseMechanism.GAUSSIAN, Fraction(1, 10**9))
STANDARD_HASH = "6e41dc19bfa3530ed76c0e87808d75d81e7ccdd397911dcbf98b9f772ed705fc"


def test_the_default_is_laplace_and_stays_out_of_the_canonical_form() -> None:
    assert preset("standard").noise == NoiseRules()
    assert "noise" not in to_canonical(standard())
    assert policy_hash(preset("standard")) == STANDARD_HASH  # unchanged by the field


def test_an_explicit_laplace_parses_to_the_same_hash_as_none() -> None:
    data = json.loads(canonical_json(standard()))
    explicit = parse_policy({**data, "noise": {"mechanism": "laplace"}})
    assert policy_hash(explicit) == policy_hash(standard())


def test_gaussian_is_in_the_canonical_form_round_trips_and_changes_the_hash() -> None:
    gaussian = replace(standard(), noise=GAUSSIAN)
    data = json.loads(canonical_json(gaussian))
    assert data["noise"] == {"mechanism": "gaussian", "delta": "1/1000000000"}
    assert parse_policy(data) == gaussian
    assert policy_hash(gaussian) != policy_hash(standard())


@pytest.mark.parametrize(
    ("noise", "message"),
    [
        ({"mechanism": "gaussian"}, "noise.delta: gaussian needs a delta above 0 and at most"),
        ({"mechanism": "gaussian", "delta": "1e-5"}, "got 0.00001"),
        ({"mechanism": "gaussian", "delta": 0}, "got 0"),
        ({"mechanism": "laplace", "delta": "1e-9"}, "laplace is pure DP and takes no delta"),
        ({"mechanism": "renyi"}, "mechanism must be one of laplace, gaussian, got 'renyi'"),
        ({"mechanism": "gaussian", "delta": "1e-9", "rho": 1}, "unknown field `rho`"),
        ("gaussian", "must be a mapping with `mechanism`"),
    ],
)
def test_a_broken_noise_section_is_refused_in_plain_words(noise: object, message: str) -> None:
    data = json.loads(canonical_json(standard()))
    with pytest.raises(InvalidPolicy, match=message):
        parse_policy({**data, "noise": noise})


def test_party_rules_cannot_choose_the_noise() -> None:
    with pytest.raises(InvalidPolicy, match="noise: is not a known field"):
        parse_party_rules({"party": "brand", "version": 1, "noise": {"mechanism": "laplace"}})


EPSILONS = [Fraction(1, 100), Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(5)]
DELTAS = [Fraction(1, 10**6), Fraction(1, 10**9), Fraction(1, 10**12)]


def _cks_delta(rho: float, epsilon: float, alpha: float) -> float:
    """Canonne, Kamath & Steinke 2020, Prop. 12, written out independently (its log)."""
    a1 = alpha - 1
    return a1 * (alpha * rho - epsilon) - math.log(a1) + alpha * math.log1p(-1 / alpha)


def _min_log_delta(rho: float, epsilon: float) -> float:
    """Minimum over a grid of orders, refined around the best coarse point."""
    coarse = [1 + 10 ** (k / 100) for k in range(-600, 800)]
    best = min(coarse, key=lambda a: _cks_delta(rho, epsilon, a))
    for width in (100, 10_000, 1_000_000):  # zoom in: each grid spans two steps of the last
        grid = [1 + (best - 1) * 10 ** (k / (100 * width)) for k in range(-200, 201)]
        best = min(grid, key=lambda a: _cks_delta(rho, epsilon, a))
    return _cks_delta(rho, epsilon, best)


@pytest.mark.parametrize("epsilon", EPSILONS)
@pytest.mark.parametrize("delta", DELTAS)
def test_query_rho_meets_the_cks_delta_and_beats_the_bun_steinke_inverse(
    epsilon: Fraction, delta: Fraction
) -> None:
    rho = query_rho(epsilon, delta)
    log = math.log(1 / delta)
    bun_steinke = (math.sqrt(log + epsilon) - math.sqrt(log)) ** 2  # solved by hand
    assert float(rho) > bun_steinke  # the tighter conversion gives more rho
    assert epsilon_of(rho, delta) <= epsilon
    # some order alpha certifies (epsilon, delta) by the written-out formula ...
    log_delta = math.log(delta)
    assert _min_log_delta(float(rho), float(epsilon)) <= log_delta + 1e-9
    # ... and 0.01% more rho would not fit: the conversion is tight, not merely valid
    assert _min_log_delta(float(rho) * 1.0001, float(epsilon)) > log_delta


def test_epsilon_at_refuses_orders_outside_the_concave_range() -> None:
    delta = Fraction(1, 10**9)
    assert epsilon_at(Fraction(1, 100), delta, Fraction(1)) is None
    assert epsilon_at(Fraction(1, 100), delta, Fraction(10**12)) is None  # c(alpha) < 0
    assert epsilon_at(Fraction(1, 100), delta, Fraction(50)) is not None


def test_a_ledger_of_gaussian_queries_is_within_its_epsilon_sum_at_one_delta() -> None:
    """Subadditivity: the rho of many queries composed converts to at most the sum of
    their charged epsilons, at the same delta (not n deltas): the conversion is an
    infimum of functions affine in rho, hence concave, and >= 0 at 0."""
    delta = Fraction(1, 10**9)
    charges = [Fraction(1, 4)] * 17 + [Fraction(1, 2)] * 9 + [Fraction(1, 100)] * 40
    total_rho = sum((query_rho(e, delta) for e in charges), Fraction(0))
    assert epsilon_of(total_rho, delta) <= sum(charges)


def _discrete_gaussian_coverage(sigma: float, h: int) -> float:
    reach = int(40 * sigma) + 40
    weights = [math.exp(-(x * x) / (2 * sigma * sigma)) for x in range(-reach, reach + 1)]
    inside = sum(w for x, w in zip(range(-reach, reach + 1), weights, strict=True) if abs(x) <= h)
    return inside / sum(weights)


@pytest.mark.parametrize("sigma", [0.3, 0.7, 1.0, 2.5, 5.0, 13.0, 57.9, 400.0])
def test_the_gaussian_half_width_covers_95_percent_of_the_exact_distribution(
    sigma: float,
) -> None:
    h = gaussian_half_width(sigma)
    assert _discrete_gaussian_coverage(sigma, h) >= 0.95
    assert h <= 1.96 * sigma + 1


def test_gaussian_noise_is_lower_than_laplace_only_when_a_user_touches_many_groups() -> None:
    """At epsilon 1/2 and delta 1e-9 (L2 = sqrt(C) against L1 = C), the Gaussian sd is
    below the Laplace one from about 16 groups per user, not at 5."""

    def sd(campaigns: int, noise: NoiseRules | None) -> float:
        (cells,) = template_statistics(
            "lift",
            Fraction(1, 2),
            max_campaigns=campaigns,
            max_purchases=5,
            cap_cents=50_000,
            groups=campaigns,
            noise=noise,
        )
        return math.sqrt(cells.variance)

    assert sd(5, GAUSSIAN) > 1.7 * sd(5, None)
    assert sd(15, GAUSSIAN) > sd(15, None) and sd(17, GAUSSIAN) < sd(17, None)
    assert sd(50, GAUSSIAN) < 0.7 * sd(50, None)


def test_gaussian_statistics_carry_l2_sensitivities_and_rho_shares() -> None:
    stats = template_statistics(
        "conversions",
        Fraction(1, 2),
        max_campaigns=20,
        max_purchases=5,
        cap_cents=50_000,
        groups=10,
        noise=GAUSSIAN,
    )
    cells, revenue = stats
    assert (cells.sensitivity, cells.l2_squared) == (10, 10)  # user counts: L2 = sqrt(L1)
    assert (revenue.sensitivity, revenue.l2_squared) == (250_000, 250_000**2)
    rho = query_rho(Fraction(1, 2), GAUSSIAN.delta or Fraction(0))
    assert cells.rho == revenue.rho == rho / 2
    assert cells.mechanism == "discrete_gaussian"
    assert cells.scale == Fraction(math.sqrt(Fraction(10) / (2 * (rho / 2))))


def test_policy_diff_calls_the_gaussian_looser_and_a_smaller_delta_stricter() -> None:
    from policies import Direction, diff

    laplace = standard()
    gaussian = replace(laplace, noise=GAUSSIAN)
    tighter = replace(laplace, noise=NoiseRules(NoiseMechanism.GAUSSIAN, Fraction(1, 10**12)))
    [change] = diff(laplace, gaussian)
    assert (change.field, change.old, change.new) == (
        "noise",
        "laplace",
        "gaussian, delta 0.000000001",
    )
    assert change.direction is Direction.LOOSER
    assert [c.direction for c in diff(gaussian, tighter)] == [Direction.STRICTER]
    assert [c.direction for c in diff(gaussian, laplace)] == [Direction.STRICTER]
