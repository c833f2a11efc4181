"""``release`` under a ``noise: gaussian`` policy: the same true numbers as Laplace (exact
reference), every mechanism a discrete Gaussian within its rho share, and the query's
rho within its charged epsilon at the declared delta."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from cleanroom.engine import GroupKeys
from cleanroom.release import (
    ConversionsRequest,
    LiftRequest,
    OverlapRequest,
    ReleasePolicy,
    Sources,
    TemplateRequest,
    release,
    result_digest,
)
from cleanroom.release._testing import exact_mode
from policies.noise import NoiseMechanism, NoiseRules, epsilon_of
from tests.unit.cleanroom.engine.reference import write_exposures, write_purchases

DELTA = Fraction(1, 10**9)
LAPLACE = ReleasePolicy(Fraction(1, 2), 5, 3, 10, Fraction(250), keys=GroupKeys(("c0", "c1", "c2")))
GAUSSIAN = replace(LAPLACE, mechanism=NoiseRules(NoiseMechanism.GAUSSIAN, DELTA))
REQUESTS: list[TemplateRequest] = [
    OverlapRequest("email"),
    ConversionsRequest("email", 86_400),
    LiftRequest("email", 86_400),
]


@pytest.fixture
def sources(tmp_path: Path) -> Sources:
    exposures = [(u, f"c{u % 3}", 100 + u, u % 4 == 0) for u in range(90)]
    purchases = [(u, 150 + u, 12.5) for u in range(0, 90, 2)]
    return Sources(
        (write_exposures(tmp_path / "e.parquet", exposures),),
        (write_purchases(tmp_path / "p.parquet", purchases),),
    )


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r.template)
def test_exact_numbers_are_the_same_under_either_noise(
    sources: Sources, request_: TemplateRequest
) -> None:
    with exact_mode():
        laplace = release(sources, request_, LAPLACE)
        gaussian = release(sources, request_, GAUSSIAN)
    for ours, theirs in zip(gaussian.rows, laplace.rows, strict=True):
        assert ours.key == theirs.key
        assert {n: e and e.value for n, e in ours.values.items()} == {
            n: e and e.value for n, e in theirs.values.items()
        }


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r.template)
def test_every_mechanism_is_a_discrete_gaussian_within_the_query_rho(
    sources: Sources, request_: TemplateRequest
) -> None:
    result = release(sources, request_, GAUSSIAN)
    assert result.epsilon_spent == Fraction(1, 2) and result.delta == DELTA
    rho = result.rho_spent
    assert rho is not None and epsilon_of(rho, DELTA) <= result.epsilon_spent
    assert {m.mechanism for m in result.mechanisms} == {"discrete_gaussian"}
    assert sum((m.rho or Fraction(0) for m in result.mechanisms), Fraction(0)) == rho
    assert all(m.rho is not None and m.accounted <= m.rho for m in result.mechanisms)
    assert result.digest == result_digest(result)
    body = result.to_dict()
    assert body["delta"] == "1/1000000000" and Fraction(body["rho_spent"]) == rho


def test_laplace_results_carry_no_delta(sources: Sources) -> None:
    result = release(sources, LiftRequest("email", 86_400), LAPLACE)
    assert result.delta is None and result.rho_spent is None
    assert "delta" not in result.to_dict()
