"""The planner and ``policy check``'s noise block under ``noise: gaussian``: the sd and
half-widths of the discrete Gaussian the release path would use."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

from policies import NoiseMechanism, NoiseRules
from policies.calibration import gaussian_sigma
from policies.noise import query_rho
from policies.power import Expected, NoiseLine, noise_lines, plan
from tests.unit.policies.helpers import standard

DELTA = Fraction(1, 10**9)
GAUSSIAN = replace(standard(), noise=NoiseRules(NoiseMechanism.GAUSSIAN, DELTA))


def _line(lines: list[NoiseLine], template: str, statistic: str) -> NoiseLine:
    return next(x for x in lines if (x.template, x.statistic) == (template, statistic))


def test_policy_check_prints_the_gaussian_sd_and_half_width() -> None:
    lines = noise_lines(GAUSSIAN, groups=20)
    line = _line(lines, "lift", "converted users per arm")
    sigma = gaussian_sigma(20, query_rho(Fraction(1, 2), DELTA))  # L2^2 = min(C, G) = 20
    assert line.noise_sd == sigma
    assert line.half_width == math.ceil(1.959963984540054 * sigma)
    laplace = _line(noise_lines(standard(), groups=20), "lift", "converted users per arm")
    assert laplace.noise_sd != line.noise_sd


def test_the_plan_names_the_gaussian_mechanisms_and_their_rho() -> None:
    result = plan(GAUSSIAN, Expected((20_000,) * 5))
    mechanisms = result.to_dict()["mechanisms"]
    assert {m["mechanism"] for m in mechanisms} == {"discrete_gaussian"}
    assert all(Fraction(m["rho"]) > 0 for m in mechanisms)
    plain = plan(standard(), Expected((20_000,) * 5)).to_dict()["mechanisms"]
    assert {m["mechanism"] for m in plain} == {"discrete_laplace"}
    assert all("rho" not in m for m in plain)
    gauss_hw = {n.statistic: n.half_width for n in result.campaigns[0].numbers}
    laplace_hw = {
        n.statistic: n.half_width
        for n in plan(standard(), Expected((20_000,) * 5)).campaigns[0].numbers
    }
    assert gauss_hw.keys() == laplace_hw.keys() and gauss_hw != laplace_hw
