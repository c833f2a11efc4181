"""The policy's `attribution` section and the attribution part of a query: parsing,
self-checks, denials in plain words, and what a comparison costs."""

from __future__ import annotations

from fractions import Fraction

import pytest

from policies import (
    Attribution,
    Dimensions,
    InvalidPolicy,
    InvalidQuery,
    StageColumn,
    Template,
    evaluate,
    fresh_state,
    parse_query,
    policy_from_yaml,
    preset_yaml,
)
from policies.attribution import AttributionRules, HalfLifeBounds, WeightBounds
from policies.calibration import template_statistics
from policies.power import noise_lines
from tests.unit.policies.helpers import NOV_23, days, make_policy, standard

BASE = "the collaboration policy `standard` v1"
STAGE = StageColumn("stage", frozenset({"ad", "lead", "visit"}), "lead")
STANDARD = standard()
FRESH = fresh_state(STANDARD.budget.period, NOV_23)


def _query(attribution: object = "linear", **fields: object):  # type: ignore[no-untyped-def]
    return parse_query(
        template="conversions", requester="brand", window="7d", attribution=attribution, **fields
    )


def _codes(policy, query) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(d.code, d.message) for d in evaluate(query, policy, FRESH).denials]


def test_the_standard_preset_allows_fractional_models_within_bounds() -> None:
    rules = STANDARD.attribution
    assert Attribution.POSITION_BASED in rules.models and Attribution.W_SHAPED not in rules.models
    assert evaluate(_query(["last_touch", "linear", "position_based"]), STANDARD, FRESH).allowed
    assert evaluate(_query("time_decay", half_life="3d"), STANDARD, FRESH).allowed


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        (_query("time_decay", half_life="30d"), "half_life_out_of_bounds",
         f"half-life 30d is outside 12h..14d set by {BASE}"),
        (_query("position_based", position_weights=["0.1", "0.4"]),
         "position_weight_out_of_bounds",
         f"position weight of the first touch 0.1 is outside 0.2..0.5 set by {BASE}"),
        (_query(["linear", "w_shaped"]), "attribution_unavailable",
         "w_shaped is unavailable: it needs a stage column of the exposures declared under "
         f"attribution.stage, and {BASE} declares none"),
    ],
)  # fmt: skip
def test_denials_name_the_rule(query, code: str, message: str) -> None:  # type: ignore[no-untyped-def]
    assert _codes(STANDARD, query) == [(code, message)]


def test_a_policy_without_the_section_allows_single_touch_only() -> None:
    plain = make_policy(attribution=AttributionRules())
    assert _codes(plain, _query("linear")) == [
        ("attribution_not_allowed",
         f"attribution model `linear` is not allowed by {BASE} (allowed: first_touch, "
         "last_touch)"),
    ]  # fmt: skip
    assert evaluate(_query("first_touch"), plain, FRESH).allowed


def test_w_shaped_is_allowed_with_a_declared_stage_column() -> None:
    dims = Dimensions(frozenset({"channel", "stage"}), STANDARD.dimensions.purchases)
    rules = AttributionRules(frozenset({Attribution.W_SHAPED}), stage=STAGE)
    policy = make_policy(dimensions=dims, attribution=rules)
    assert evaluate(_query("w_shaped"), policy, FRESH).allowed
    assert [c for c, _ in _codes(policy, _query("last_touch"))] == ["attribution_not_allowed"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"attribution": "time_decay"}, "half_life: time_decay needs a half-life, e.g. 7d"),
        ({"half_life": "3d"}, "half_life: only time_decay takes a half-life"),
        ({"position_weights": [0.4, 0.4]},
         "position_weights: only position_based takes position weights"),
        ({"attribution": "position_based", "position_weights": [0.6, 0.6]},
         "position_weights: first + last must be at most 1, got 1.2"),
        ({"attribution": "position_based", "position_weights": ["1/3", 0.3]},
         "position_weights: each weight must be above 0 and below 1, in steps of "
         "1/1_000_000, got 1/3"),
        ({"attribution": ["linear", "linear"]}, "attribution: names a model twice"),
        ({"attribution": ["linear", "u_shaped"]},
         "attribution: 'u_shaped' is not an attribution model; choose from first_touch, "
         "last_touch, linear, position_based, time_decay, w_shaped"),
        ({"attribution": []}, "attribution: list at least one model"),
    ],
)  # fmt: skip
def test_malformed_attribution_requests(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        _query(**{"attribution": "linear", **fields})
    assert str(caught.value) == message


def test_other_templates_take_no_model() -> None:
    with pytest.raises(InvalidQuery, match="only conversions takes attribution models"):
        parse_query(template="lift", requester="brand", window="7d", attribution="linear")


def test_position_based_defaults_to_40_20_40() -> None:
    assert _query("position_based").position_weights == (Fraction(2, 5), Fraction(2, 5))


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("attribution:\n  models: [linear, position_based]\n",
         "attribution.end_weight: is required when `position_based` is allowed"),
        ("attribution:\n  models: [time_decay]\n",
         "attribution.half_life: is required when `time_decay` is allowed"),
        ("attribution:\n  models: [w_shaped]\n",
         "attribution.stage: is required when `w_shaped` is allowed"),
        ("attribution:\n  models: [u_shaped]\n",
         "attribution: models: `u_shaped` is not an attribution model; choose from "
         "first_touch, last_touch, linear, position_based, time_decay, w_shaped"),
        ("attribution:\n  models: [w_shaped]\n  stage: {column: stage, values: [ad, lead], "
         "milestone: lead}\n",
         "attribution: stage.column `stage` must be one of dimensions.exposures (a touch's "
         "stage is a string column of the exposures)"),
        ("attribution:\n  models: [linear]\n  end_weight: {min: 0.4, max: 0.6}\n",
         "attribution: need 0 < min <= max <= 1/2, got min 0.4 and max 0.6"),
    ],
)  # fmt: skip
def test_invalid_sections_say_what_is_wrong(block: str, problem: str) -> None:
    text = preset_yaml("standard")
    start, end = text.index("attribution:\n"), text.index("# Group keys")
    with pytest.raises(InvalidPolicy) as caught:
        policy_from_yaml(text[:start] + block + text[end:])
    assert problem in caught.value.problems


def test_rules_compare_for_diffs() -> None:
    wide = AttributionRules(
        frozenset(Attribution) - {Attribution.W_SHAPED},
        WeightBounds(Fraction(1, 5), Fraction(1, 2)),
        HalfLifeBounds(days(1), days(14)),
    )
    narrow = AttributionRules(
        frozenset({Attribution.LINEAR, Attribution.POSITION_BASED}),
        WeightBounds(Fraction(3, 10), Fraction(2, 5)),
    )
    assert narrow.within(wide) and not wide.within(narrow)
    assert AttributionRules().is_default and not wide.is_default


def test_a_comparison_splits_the_epsilon_over_every_released_statistic() -> None:
    stats = template_statistics(
        Template.CONVERSIONS, Fraction(1, 2), max_campaigns=20, max_purchases=50,
        cap_cents=50_000, groups=3, credit_models=["linear", "time_decay"],
    )  # fmt: skip
    assert [(s.name, s.sensitivity, s.epsilon) for s in stats] == [
        ("exposed", 3, Fraction(1, 10)),
        ("credited_micro:linear", 50_000_000, Fraction(1, 10)),
        ("credited_revenue_cents:linear", 2_500_000, Fraction(1, 10)),
        ("credited_micro:time_decay", 50_000_000, Fraction(1, 10)),
        ("credited_revenue_cents:time_decay", 2_500_000, Fraction(1, 10)),
    ]


def test_policy_check_shows_the_noise_of_credited_numbers() -> None:
    lines = {n.statistic: n for n in noise_lines(STANDARD, groups=3) if n.template == "attribution"}
    one, five = lines["credited conv. (1 model)"], lines["credited conv. (5 models)"]
    # one model: P / (epsilon / 3) = 5 / (1/6) = scale 30 credits; five: 5 / (1/22)
    assert 30 * 1.39 < one.noise_sd < 30 * 1.42
    assert five.noise_sd / one.noise_sd == pytest.approx(11 / 3, rel=1e-3)
    assert lines["exposed users (1 model)"].thresholded
    assert noise_lines(make_policy(attribution=AttributionRules()), groups=3) == [
        n for n in noise_lines(STANDARD, groups=3) if n.template != "attribution"
    ]


def test_the_power_planner_shows_credited_numbers_when_the_policy_allows_them() -> None:
    from policies.power import Expected, plan

    numbers = {n.statistic: n for n in plan(STANDARD, Expected((20_000,))).campaigns[0].numbers}
    credited = numbers["attribution.credited_conversions"]
    # one campaign: epsilon 1/2 over 3 statistics, sensitivity P = 5 credits: scale 30
    assert credited.unit == "credits" and 30 * 1.39 < credited.noise_sd < 30 * 1.42
    assert credited.expected == numbers["conversions.converted_users"].expected
    plain = plan(make_policy(attribution=AttributionRules()), Expected((20_000,)))
    assert not any(n.statistic.startswith("attribution.") for n in plain.campaigns[0].numbers)
