"""The one calibration: sensitivities, epsilon shares and scales of every template."""

from __future__ import annotations

import math
from fractions import Fraction

import opendp.prelude as dp
import pytest

from cleanroom.release.noise import calibrate
from policies import Template
from policies.calibration import (
    Statistic,
    discrete_laplace_accuracy,
    discrete_laplace_half_width,
    template_statistics,
)

BOUNDS = {"max_campaigns": 20, "max_purchases": 50, "cap_cents": 50_000}


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0, 3.7, 10.0, 40.0, 1e6])
def test_accuracy_is_opendps(scale: float) -> None:
    dp.enable_features("contrib")
    theirs = dp.discrete_laplacian_scale_to_accuracy(scale, 0.05)
    assert discrete_laplace_accuracy(scale) == pytest.approx(theirs, rel=1e-12)
    h, q = discrete_laplace_half_width(scale), math.exp(-1 / scale)
    assert 2 * q ** (h + 1) / (1 + q) < 0.05  # P[|X| > h] below 5%


@pytest.mark.parametrize(
    ("template", "groups", "values", "expected"),
    [
        (Template.OVERLAP, 5, None, [("overlap_cells", 1, Fraction(1, 2))]),
        (Template.LIFT, 5, None, [("lift_cells", 5, Fraction(1, 2))]),
        (Template.LIFT, 40, None, [("lift_cells", 20, Fraction(1, 2))]),
        (
            Template.CONVERSIONS,
            3,
            None,
            [("conversion_cells", 3, Fraction(1, 4)), ("revenue_cents", 2_500_000, Fraction(1, 4))],
        ),
        (
            Template.CONVERSIONS,
            3,
            4,
            [
                ("exposed", 3, Fraction(1, 6)),
                ("converted", 12, Fraction(1, 6)),
                ("revenue_cents", 2_500_000, Fraction(1, 6)),
            ],
        ),
        (Template.LIFT, 0, None, [("lift_cells", 1, Fraction(1, 2))]),
    ],
)
def test_template_statistics(
    template: Template,
    groups: int,
    values: int | None,
    expected: list[tuple[str, int, Fraction]],
) -> None:
    found = template_statistics(
        template, Fraction(1, 2), groups=groups, purchase_values=values, **BOUNDS
    )
    assert [(s.name, s.sensitivity, s.epsilon) for s in found] == expected
    assert sum(s.epsilon for s in found) == Fraction(1, 2)


@pytest.mark.parametrize(("sensitivity", "epsilon"), [(1, Fraction(1, 3)), (3, Fraction(1, 10))])
def test_the_release_starts_from_the_nominal_scale(sensitivity: int, epsilon: Fraction) -> None:
    """The release path may move the scale up by float steps, never by more."""
    nominal = float(Statistic("x", sensitivity, epsilon).scale)
    _, cal = calibrate("x", sensitivity, epsilon)
    assert nominal <= cal.scale <= nominal * (1 + 1e-12)


def test_statistics_refuse_a_zero_sensitivity() -> None:
    with pytest.raises(ValueError, match="sensitivity must be"):
        Statistic("x", 0, Fraction(1))


@pytest.mark.parametrize(("groups", "per_user"), [(3, 3), (50, 20)])
def test_lift_with_revenue_splits_epsilon_and_bounds_revenue_per_kept_campaign(
    groups: int, per_user: int
) -> None:
    """A purchase counts in each kept campaign whose window holds it: min(C, G) x P x cap."""
    found = template_statistics(
        Template.LIFT, Fraction(1, 2), groups=groups, revenue=True, **BOUNDS
    )
    assert [(s.name, s.sensitivity, s.epsilon) for s in found] == [
        ("lift_cells", per_user, Fraction(1, 4)),
        ("lift_revenue_cents", per_user * 50 * 50_000, Fraction(1, 4)),
    ]
