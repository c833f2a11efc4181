"""The threshold step alone is epsilon-DP: a group of true size k - 1 and one of size k
are released with probabilities that differ by at most a factor e^epsilon.

The counts go through the real path: OpenDP discrete Laplace (``noised``, sensitivity
1, so the loss of the threshold decision is exactly the statistic's epsilon) and then
``apply_threshold``. For discrete Laplace with ``q = exp(-epsilon)`` the release
probabilities are ``P[Z >= 0] = 1 / (1 + q)`` (size k) and ``P[Z >= 1] = q / (1 + q)``
(size k - 1): their ratio is exactly e^epsilon, so this bound is tight, and a
threshold that also read the true size (released never at k - 1) would break it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import pytest

from cleanroom.release.intervals import NoisyCount, count_estimate
from cleanroom.release.model import Estimate
from cleanroom.release.templates import noised
from cleanroom.release.threshold import NoisyGroup, apply_threshold

K = 50
DRAWS = 20_000
"""Per size: a release probability near 0.4-0.6 then has a standard error of about
0.0035, and the ratio of two of them about 0.02."""
SIGMAS = 5
"""Tolerance in standard errors: a correct mechanism fails about once in 10^6 runs."""


def _values(counts: Mapping[str, NoisyCount], _: float | None) -> dict[str, Estimate | None]:
    return {"users": count_estimate(counts["users"])}


def release_rate(true_size: int, epsilon: Fraction) -> float:
    noisy, _ = noised("users", [true_size] * DRAWS, 1, epsilon)
    groups = [NoisyGroup((str(i),), {"users": count}) for i, count in enumerate(noisy)]
    rows, suppressed = apply_threshold(groups, ["users"], K, _values, ["users"])
    assert suppressed == sum(row.suppressed for row in rows)
    return 1 - suppressed / DRAWS


def _ratio_error(a: float, b: float) -> float:
    """Standard error of ``a / b`` for two independent proportions over DRAWS."""
    return (a / b) * math.sqrt((1 - a) / (a * DRAWS) + (1 - b) / (b * DRAWS))


@pytest.mark.parametrize("epsilon", [Fraction(1, 2), Fraction(1)])
def test_release_probabilities_at_k_minus_1_and_k_differ_by_at_most_e_epsilon(
    epsilon: Fraction,
) -> None:
    below, at = release_rate(K - 1, epsilon), release_rate(K, epsilon)
    bound = math.exp(epsilon)
    q = math.exp(-epsilon)
    # The mechanism is the one the proof is about (not a vacuous pass: both near theory).
    assert at == pytest.approx(1 / (1 + q), abs=SIGMAS * 0.0036)
    assert below == pytest.approx(q / (1 + q), abs=SIGMAS * 0.0036)
    # Released and suppressed, both directions: within e^epsilon up to sampling error.
    assert at / below <= bound + SIGMAS * _ratio_error(at, below)
    assert (1 - below) / (1 - at) <= bound + SIGMAS * _ratio_error(1 - below, 1 - at)
