"""OpenDP calibration: accounted epsilon never above the charged epsilon."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cleanroom.release.noise import calibrate, discrete_laplace_variance, release_vector

EPSILONS = [Fraction(1, 3), Fraction(1, 10), Fraction(7, 100), Fraction(1), Fraction(5, 2)]


@pytest.mark.parametrize("epsilon", EPSILONS)
@pytest.mark.parametrize("sensitivity", [1, 3, 7, 50_000, 10_000_000])
def test_accounted_epsilon_never_exceeds_charged(epsilon: Fraction, sensitivity: int) -> None:
    measurement, cal = calibrate("x", sensitivity, epsilon)
    assert Fraction(measurement.map(sensitivity)) == cal.accounted <= epsilon
    assert cal.scale == pytest.approx(sensitivity / epsilon, rel=1e-12)


def test_calibration_steps_up_when_the_float_map_rounds_above() -> None:
    # 3 / (1/10) = 30.0 exactly, but OpenDP's map(3) at scale 30.0 is the float 0.1,
    # which is slightly above 1/10: the scale must move up.
    _, cal = calibrate("x", 3, Fraction(1, 10))
    assert cal.scale > 30.0 and cal.accounted <= Fraction(1, 10)


def test_release_vector_keeps_length_and_integers() -> None:
    noisy = release_vector("x", [10, 20, 30], 1, Fraction(1))
    assert len(noisy.values) == 3 and all(isinstance(v, int) for v in noisy.values)


def test_empty_vector_is_allowed() -> None:
    assert release_vector("x", [], 1, Fraction(1)).values == ()


@pytest.mark.parametrize(("sensitivity", "epsilon"), [(0, Fraction(1)), (1, Fraction(0))])
def test_invalid_calibration_inputs(sensitivity: int, epsilon: Fraction) -> None:
    with pytest.raises(ValueError, match="sensitivity must be"):
        calibrate("x", sensitivity, epsilon)


def test_discrete_laplace_variance_tends_to_two_scale_squared() -> None:
    assert discrete_laplace_variance(1000.0) == pytest.approx(2 * 1000.0**2, rel=1e-6)
