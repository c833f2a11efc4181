"""The discrete Gaussian of a ``noise: gaussian`` policy: OpenDP's accounted rho never
above its share, and the query's rho within its charged epsilon by OpenDP's own
conversion to (epsilon, delta)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from fractions import Fraction

import opendp.prelude as dp
import pytest

from cleanroom.release.model import Result
from cleanroom.release.noise import calibrate_gaussian, l2_distance, release_statistic
from policies.calibration import Statistic
from policies.noise import query_rho

EPSILONS = [Fraction(1, 100), Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(5)]
DELTAS = [Fraction(1, 10**6), Fraction(1, 10**9), Fraction(1, 10**12)]


@pytest.mark.parametrize("l2_squared", [1, 2, 5, 20, 10**10])
def test_the_l2_distance_is_never_below_the_exact_root(l2_squared: int) -> None:
    root = l2_distance(l2_squared)
    assert Fraction(root) ** 2 >= l2_squared
    assert Fraction(math.nextafter(root, 0)) ** 2 < l2_squared or root == 1.0


@pytest.mark.parametrize("epsilon", EPSILONS)
@pytest.mark.parametrize("delta", DELTAS)
def test_opendp_converts_a_query_at_its_rho_to_at_most_the_charged_epsilon(
    epsilon: Fraction, delta: Fraction
) -> None:
    """The measurement the release path builds, converted by OpenDP's own (tighter)
    zCDP -> approximate-DP map at delta, is within the query's charged epsilon."""
    rho = query_rho(epsilon, delta)
    stat = Statistic("cells", 20, epsilon, l2_squared=20, rho=rho)
    measurement, cal = calibrate_gaussian(stat)
    d_in = l2_distance(20)
    assert Fraction(measurement.map(d_in)) == cal.accounted <= rho
    approx = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(measurement), float(delta))
    opendp_epsilon, opendp_delta = approx.map(d_in)
    assert opendp_delta == float(delta) and Fraction(opendp_epsilon) <= epsilon


def test_draws_are_integers_with_the_calibrated_sd() -> None:
    stat = Statistic("cells", 20, Fraction(1, 2), 20, query_rho(Fraction(1, 2), Fraction(1, 10**9)))
    noisy = release_statistic(stat, [1000] * 4000)
    assert len(noisy.values) == 4000 and all(isinstance(v, int) for v in noisy.values)
    cal = noisy.calibration
    assert cal.mechanism == "discrete_gaussian" and cal.scale == pytest.approx(50.30, abs=0.01)
    mean = sum(noisy.values) / 4000
    sd = math.sqrt(sum((v - mean) ** 2 for v in noisy.values) / 3999)
    assert abs(mean - 1000) < 4 * cal.scale / math.sqrt(4000)
    assert sd == pytest.approx(cal.scale, rel=0.06)


def test_the_result_json_names_the_gaussian_and_keeps_laplace_results_as_before() -> None:
    stat = Statistic("cells", 3, Fraction(1, 2), 3, Fraction(1, 100))
    _, gaussian = calibrate_gaussian(stat)
    result = Result("lift", {}, (), (), (), Fraction(1, 2), 0, (gaussian,), 5)
    body = replace(result, delta=Fraction(1, 10**9), rho_spent=Fraction(1, 100)).to_dict()
    (mechanism,) = body["mechanisms"]
    assert mechanism["mechanism"] == "discrete_gaussian"
    assert mechanism["rho"] == "1/100" and mechanism["l2_sensitivity_squared"] == 3
    assert Fraction(mechanism["accounted_rho"]) <= Fraction(1, 100)
    assert "accounted_epsilon" not in mechanism
    assert (body["delta"], body["rho_spent"]) == ("1/1000000000", "1/100")
    plain = json.dumps(replace(result, mechanisms=()).to_dict())
    assert "delta" not in plain and "rho" not in plain
