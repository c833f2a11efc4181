"""Denials a compliance officer can read, each naming the rule and who set it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from policies import (
    Attribution,
    BudgetState,
    ColumnKeys,
    Duration,
    InvalidQuery,
    KeySet,
    PolicyDenied,
    QueryRequest,
    Template,
    effective_policy,
    evaluate,
    fresh_state,
    preset,
)
from tests.unit.policies.helpers import NOV_23, brand_rules, days, retailer_rules, standard

BASE = "the collaboration policy `standard` v1"
STANDARD = standard()
FRESH = fresh_state(STANDARD.budget.period, NOV_23)


def conversions(**fields: object) -> QueryRequest:
    values: dict[str, object] = {"template": Template.CONVERSIONS, "requester": "brand"}
    values["window"] = days(7)
    values.update(fields)
    return QueryRequest(**values)  # type: ignore[arg-type]


def test_an_allowed_query_uses_the_largest_allowed_epsilon_by_default() -> None:
    decision = evaluate(conversions(dimensions=("channel",)), STANDARD, FRESH)
    assert decision.allowed
    assert decision.epsilon == Fraction(1, 2)
    assert decision.reasons == ()
    decision.raise_if_denied()


def test_the_brief_examples() -> None:
    effective = effective_policy(
        STANDARD,
        [
            retailer_rules(purchase_dimensions=frozenset({"category"}), budget_epsilon=Fraction(2)),
            brand_rules(window_max=days(30)),
        ],
    )
    spent = BudgetState(Fraction(9, 5), FRESH.period_start, FRESH.period_end)
    request = conversions(window=days(45), dimensions=("store_region",), epsilon=Fraction(1, 2))
    decision = evaluate(request, effective, spent)
    assert not decision.allowed
    assert decision.reasons == (
        "dimension `store_region` is not allowed by the retailer's policy v3",
        f"window 45d exceeds the maximum of 30d set by {BASE}",
        "this query needs epsilon 0.5, 0.2 is left until 2026-12-01 "
        "(budget of 2 per calendar month set by the retailer's policy v3)",
    )
    assert [d.code for d in decision.denials] == [
        "dimension_not_allowed",
        "window_too_long",
        "budget_exhausted",
    ]
    assert decision.as_dict()["denials"][0] == {  # type: ignore[index]
        "code": "dimension_not_allowed",
        "field": "dimensions.purchases",
        "message": "dimension `store_region` is not allowed by the retailer's policy v3",
        "source": "the retailer's policy v3",
    }
    assert decision.as_dict()["epsilon"] == "1/2"
    with pytest.raises(PolicyDenied) as caught:
        decision.raise_if_denied()
    assert caught.value.decision is decision
    assert str(caught.value).startswith("dimension `store_region` is not allowed")


@pytest.mark.parametrize(
    ("request_", "code", "reason"),
    [
        (conversions(dimensions=("zip",)), "dimension_not_allowed",
         f"dimension `zip` is not allowed by {BASE}"),
        (conversions(window=Duration.parse("12h")), "window_too_short",
         f"window 12h is shorter than the minimum of 1d set by {BASE}"),
        (conversions(requester="agency"), "not_a_receiver",
         f"`agency` may not receive results under {BASE}"),
        (conversions(epsilon=Fraction(1)), "epsilon_not_allowed",
         f"epsilon 1 is not an allowed value; choose one of 0.25, 0.5 (set by {BASE})"),
        (conversions(epsilon=Fraction(1, 1000)), "epsilon_not_allowed",
         f"epsilon 0.001 is not an allowed value; choose one of 0.25, 0.5 (set by {BASE})"),
    ],
)  # fmt: skip
def test_single_denials(request_: QueryRequest, code: str, reason: str) -> None:
    decision = evaluate(request_, STANDARD, FRESH)
    assert [(d.code, d.message) for d in decision.denials] == [(code, reason)]


def test_template_denied_by_a_party() -> None:
    effective = effective_policy(STANDARD, [brand_rules(templates=frozenset({Template.OVERLAP}))])
    decision = evaluate(conversions(), effective, FRESH)
    assert decision.reasons == (
        "the `conversions` template is not allowed by the brand's policy v2",
    )
    assert decision.denials[0].source is not None
    assert decision.denials[0].source.party == "brand"


def test_receivers_narrowed_by_a_party() -> None:
    effective = effective_policy(STANDARD, [retailer_rules(receivers=frozenset({"retailer"}))])
    decision = evaluate(conversions(), effective, FRESH)
    assert decision.reasons == ("`brand` may not receive results under the retailer's policy v3",)


def test_no_window_fits_both_parties() -> None:
    effective = effective_policy(
        STANDARD, [retailer_rules(window_max=days(7)), brand_rules(window_min=days(14))]
    )
    reasons = {
        window: evaluate(conversions(window=days(window)), effective, FRESH).reasons
        for window in (7, 14)
    }
    assert reasons == {
        7: ("window 7d is shorter than the minimum of 14d set by the brand's policy v2",),
        14: ("window 14d exceeds the maximum of 7d set by the retailer's policy v3",),
    }


def test_overlap_needs_no_window() -> None:
    request = QueryRequest(Template.OVERLAP, "retailer", epsilon=Fraction(1, 4))
    assert evaluate(request, preset("strict"), FRESH).allowed


def test_an_epsilon_a_party_leaves_out_is_denied_by_that_party() -> None:
    effective = effective_policy(
        STANDARD, [brand_rules(epsilon_choices=frozenset({Fraction(1, 4)}))]
    )
    decision = evaluate(conversions(epsilon=Fraction(1, 2)), effective, FRESH)
    assert decision.reasons == (
        "epsilon 0.5 is not an allowed value; choose one of 0.25 (set by the brand's policy v2)",
    )
    assert evaluate(conversions(), effective, FRESH).epsilon == Fraction(1, 4)


def test_no_common_epsilon_denies_every_query_in_plain_words() -> None:
    effective = effective_policy(STANDARD, [brand_rules(epsilon_choices=frozenset({Fraction(1)}))])
    decision = evaluate(conversions(), effective, FRESH)
    assert [d.code for d in decision.denials] == ["no_epsilon_allowed"]
    assert decision.reasons == (
        f"no epsilon is allowed, so no query can run: {BASE} allows 0.25, 0.5; "
        "the brand's policy v2 allows 1; no value is in every list and within the budget "
        "per period",
    )


def test_the_lifetime_cap_denies_even_with_the_period_budget_left() -> None:
    spent = BudgetState(Fraction(0), FRESH.period_start, FRESH.period_end, Fraction(119, 4))
    decision = evaluate(conversions(), STANDARD, spent)
    assert [d.code for d in decision.denials] == ["lifetime_exhausted"]
    assert decision.only_budget
    assert decision.reasons == (
        "this query needs epsilon 0.5, 0.25 is left of the lifetime cap of 30 set by "
        f"{BASE}; it never refreshes",
    )
    assert evaluate(conversions(epsilon=Fraction(1, 4)), STANDARD, spent).allowed
    over = BudgetState(Fraction(0), FRESH.period_start, FRESH.period_end, Fraction(30))
    assert (
        evaluate(conversions(), STANDARD, over)
        .reasons[0]
        .startswith("this query needs epsilon 0.5, 0 is left of the lifetime cap of 30")
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"template": Template.OVERLAP, "window": days(7)},
         "overlap takes no window and no dimension"),
        ({"window": None}, "conversions needs an attribution window"),
        ({"dimensions": ("channel", "category")},
         "conversions can be broken down by one dimension at most"),
        ({"epsilon": Fraction(0)}, "epsilon: must be above 0, got 0"),
        ({"epsilon": "lots"},
         "epsilon: write an exact number such as \"0.5\" or \"1/4\", got 'lots'"),
        ({"template": "reach"},
         "template: 'reach' is not a template; choose from conversions, funnel, lift, overlap, "
         "reach_frequency, time_to_conversion"),
        ({"attribution": "u_shaped"},
         "attribution: 'u_shaped' is not an attribution model; choose from first_touch, "
         "last_touch, linear, position_based, time_decay, w_shaped"),
        ({"window": "7"},
         "window: write a whole number and a unit (s, m, h, d or w), such as \"7d\", got '7'"),
        ({"dimensions": "channel"},
         "dimensions: must be a list of dimension names, got 'channel'"),
        ({"requester": "Brand"}, "requester: must be 1 to 64 characters of lowercase letters, "
         "digits, '.', '_' or '-', starting with a letter or digit, got 'Brand'"),
    ],
)  # fmt: skip
def test_malformed_requests(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        conversions(**fields)
    assert str(caught.value) == message


def test_attribution_defaults_to_last_touch() -> None:
    assert conversions().attribution is Attribution.LAST_TOUCH


def test_wire_values_are_converted_exactly() -> None:
    request = QueryRequest(
        "conversions",  # type: ignore[arg-type]
        "brand",
        window="7d",  # type: ignore[arg-type]
        attribution="first_touch",  # type: ignore[arg-type]
        dimensions=["channel"],  # type: ignore[arg-type]
        epsilon=0.1,  # type: ignore[arg-type]
    )
    assert request == QueryRequest(
        Template.CONVERSIONS,
        "brand",
        days(7),
        Attribution.FIRST_TOUCH,
        ("channel",),
        Fraction(1, 10),
    )


def test_grouping_by_a_column_without_declared_keys_is_refused() -> None:
    decision = evaluate(conversions(), preset("standard"), FRESH)
    assert [denial.code for denial in decision.denials] == ["keys_not_declared"]
    assert decision.reasons == (
        f"no keys are declared for `campaign_id`, so no query may group by it; {BASE} "
        "(or a party's rules) must list its values under `keys`",
    )
    overlap = QueryRequest(Template.OVERLAP, "brand")
    assert evaluate(overlap, preset("standard"), FRESH).allowed


def test_a_party_declares_keys_and_disjoint_declarations_leave_none() -> None:
    def campaigns(*ids: str) -> KeySet:
        return KeySet.of({"campaign_id": ColumnKeys(frozenset(ids))})

    declared = effective_policy(preset("standard"), [brand_rules(keys=campaigns("spring"))])
    assert evaluate(conversions(), declared, FRESH).allowed
    disjoint = effective_policy(
        STANDARD, [brand_rules(keys=campaigns("spring")), retailer_rules(keys=campaigns("fall"))]
    )
    decision = evaluate(conversions(), disjoint, FRESH)
    assert decision.reasons == (
        "the keys declared for `campaign_id` have nothing in common after the retailer's policy v3",
    )
