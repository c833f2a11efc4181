"""The power planner: the release's calibration, queries per budget, JSON."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from fractions import Fraction

import pytest

from cleanroom.release import ReleasePolicy
from cleanroom.release.templates import statistics
from policies import ContributionBounds, Template, preset
from policies.keys import ColumnKeys, KeySet
from policies.power import Expected, default_groups, noise_lines, plan, queries_per_period

STANDARD = preset("standard")


def _number(campaign_numbers: tuple, name: str):  # type: ignore[no-untyped-def]
    return next(n for n in campaign_numbers if n.statistic == name)


def test_plan_uses_the_release_paths_statistics() -> None:
    expected = Expected((5_000, 50_000, 20_000))
    found = plan(STANDARD, expected)
    bounds = STANDARD.contribution
    release = ReleasePolicy(
        max(STANDARD.epsilon_choices),
        STANDARD.k,
        bounds.max_campaigns_per_user,
        bounds.max_purchases_per_user,
        Fraction(bounds.amount_cap),
    )
    for template in (Template.LIFT, Template.CONVERSIONS):
        released = statistics(template, release, groups=3)
        assert all(m in found.mechanisms for m in released)
    lift_cells = next(m for m in found.mechanisms if m.name == "lift_cells")
    assert lift_cells.sensitivity == 3  # min(C = 20, 3 campaigns)


def test_bigger_campaigns_detect_smaller_lifts() -> None:
    found = plan(STANDARD, Expected((5_000, 50_000), holdout_share=0.1, lift=0.3))
    small, large = found.campaigns
    assert (small.exposed_users, small.holdout_users) == (4_500, 500)
    assert large.detectable_absolute_lift < small.detectable_absolute_lift
    assert large.expected_lift_detectable and not small.expected_lift_detectable
    assert large.detectable_relative_lift == pytest.approx(large.detectable_absolute_lift / 0.03)


def test_revenue_noise_is_in_currency_and_does_not_depend_on_size() -> None:
    found = plan(STANDARD, Expected((5_000, 50_000), spend=(1_000.0, 10_000.0)))
    revenue = [_number(c.numbers, "conversions.revenue") for c in found.campaigns]
    assert revenue[0].noise_sd == revenue[1].noise_sd
    # P x cap = 5 x $500 per user, epsilon/4: scale $10,000, sd about $14.1k
    assert revenue[0].noise_sd == pytest.approx(10_000 * math.sqrt(2), rel=1e-3)
    roas = _number(found.campaigns[1].numbers, "conversions.roas")
    assert roas.half_width == pytest.approx(revenue[1].half_width / 10_000)


def test_queries_per_period_and_a_smaller_epsilon() -> None:
    assert queries_per_period(STANDARD, Fraction(1, 2)) == 10
    found = plan(STANDARD, Expected((10_000,)), epsilon=Fraction(1, 4))
    assert found.queries_per_period == 20
    wider = _number(found.campaigns[0].numbers, "lift.holdout_converted").half_width
    base = _number(
        plan(STANDARD, Expected((10_000,))).campaigns[0].numbers, "lift.holdout_converted"
    )
    assert wider > base.half_width


def test_plan_json_is_plain() -> None:
    text = json.dumps(plan(STANDARD, Expected((8_000,))).to_dict(), allow_nan=False)
    body = json.loads(text)
    assert body["epsilon"] == "1/2" and body["queries_per_period"] == 10
    assert body["overlap"][0]["expected"] is None
    assert {n["statistic"] for n in body["campaigns"][0]["numbers"]} >= {
        "lift.absolute_lift",
        "conversions.revenue",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"audience": ()}, "audience"),
        ({"holdout_share": 1.0}, "holdout_share"),
        ({"base_rate": 0.6, "lift": 1.0}, "base_rate"),
        ({"spend": (1.0, 2.0)}, "spend"),
    ],
)
def test_expected_sizes_check_themselves(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"audience": (1_000,), **kwargs}
    with pytest.raises(ValueError, match=message):
        Expected(**values)  # type: ignore[arg-type]


def test_noise_lines_shrink_with_fewer_campaigns_and_bounds() -> None:
    wide = {(n.template, n.statistic): n for n in noise_lines(STANDARD)}
    narrow = {(n.template, n.statistic): n for n in noise_lines(STANDARD, groups=5)}
    key = ("lift", "converted users per arm")
    assert narrow[key].noise_sd == pytest.approx(wide[key].noise_sd / 4, rel=1e-3)
    tight = replace(STANDARD, contribution=ContributionBounds(5, 4, Fraction(250)))
    revenue = {(n.template, n.statistic): n for n in noise_lines(tight)}
    assert revenue[("conversions", "revenue per group")].noise_sd == pytest.approx(
        4 * 250 * 4 * math.sqrt(2), rel=1e-3
    )


def test_noise_lines_default_to_the_declared_campaigns() -> None:
    keys = KeySet.of({"campaign_id": ColumnKeys(frozenset({"a", "b", "c"}))})
    declared = replace(STANDARD, keys=keys)
    assert default_groups(STANDARD) == 20 and default_groups(declared) == 3
    lines = {(n.template, n.statistic): n for n in noise_lines(declared)}
    three = {(n.template, n.statistic): n for n in noise_lines(STANDARD, groups=3)}
    assert lines == three


def test_a_lift_with_spend_plans_incremental_revenue_at_half_the_epsilon() -> None:
    found = plan(STANDARD, Expected((5_000, 50_000), spend=(1_000.0, 10_000.0)))
    lift = [m for m in found.mechanisms if m.name.startswith("lift_")]
    assert [(m.name, m.epsilon, m.sensitivity) for m in lift] == [
        ("lift_cells", Fraction(1, 4), 2),
        ("lift_revenue_cents", Fraction(1, 4), 2 * 5 * 50_000),
    ]
    small = found.campaigns[0]
    exposed = _number(small.numbers, "lift.exposed_revenue")
    incremental = _number(small.numbers, "lift.incremental_revenue")
    roas = _number(small.numbers, "lift.incremental_roas")
    # 4,500 exposed / 500 held out: the holdout revenue is scaled by 9
    assert incremental.noise_sd == pytest.approx(exposed.noise_sd * math.sqrt(1 + 81))
    assert incremental.half_width > 1.96 * incremental.noise_sd
    assert roas.half_width == pytest.approx(incremental.half_width / 1_000.0)
    assert incremental.expected == pytest.approx(4_500 * 0.003 * 50.0)


def test_a_lift_without_spend_keeps_the_whole_epsilon_on_its_histogram() -> None:
    found = plan(STANDARD, Expected((5_000, 50_000)))
    lift = [m for m in found.mechanisms if m.name.startswith("lift_")]
    assert [(m.name, m.epsilon) for m in lift] == [("lift_cells", Fraction(1, 2))]
    names = {n.statistic for n in found.campaigns[0].numbers}
    assert "lift.incremental_revenue" not in names
