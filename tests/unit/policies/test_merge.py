"""Strictest wins, and every field says where it came from."""

from __future__ import annotations

from fractions import Fraction

from policies import Budget, Period, PinnedKeys, Template, effective_policy, key_accepted, preset
from tests.unit.policies.helpers import (
    FINGERPRINT,
    OTHER_FINGERPRINT,
    brand_rules,
    days,
    make_policy,
    retailer_rules,
)

BASE = "the collaboration policy `standard` v1"


def test_no_rules_is_the_base_policy() -> None:
    policy = preset("standard")
    effective = effective_policy(policy)
    assert (effective.k, effective.window, effective.budget) == (
        policy.k,
        policy.window,
        policy.budget,
    )
    assert {str(source) for _, source in effective.sources} == {BASE}


def test_the_strictest_value_of_each_field_wins() -> None:
    effective = effective_policy(
        preset("standard"),
        [
            retailer_rules(
                k=80,
                purchase_dimensions=frozenset({"category"}),
                window_max=days(14),
                max_purchases_per_user=3,
                amount_cap=Fraction(200),
            ),
            brand_rules(
                k=60,
                templates=frozenset({Template.CONVERSIONS, Template.LIFT}),
                window_min=days(3),
                epsilon_choices=frozenset({Fraction(1, 4), Fraction(1)}),
                receivers=frozenset({"brand"}),
            ),
        ],
    )
    assert effective.k == 80
    assert effective.templates == frozenset({Template.CONVERSIONS, Template.LIFT})
    assert effective.dimensions.purchases == frozenset({"category"})
    assert effective.dimensions.exposures == frozenset({"channel"})
    assert (effective.window.min, effective.window.max) == (days(3), days(14))
    assert effective.epsilon_choices == {Fraction(1, 4)}
    assert effective.contribution.max_purchases_per_user == 3
    assert effective.contribution.max_campaigns_per_user == 20
    assert effective.contribution.amount_cap == Fraction(200)
    assert effective.receivers == frozenset({"brand"})
    assert effective.provenance()[:6] == [
        "templates = conversions, lift from the brand's policy v2",
        f"dimensions.exposures = channel from {BASE}",
        "dimensions.purchases = category from the retailer's policy v3",
        "window.min = 3d from the brand's policy v2",
        "window.max = 14d from the retailer's policy v3",
        "k = 80 from the retailer's policy v3",
    ]


def test_a_looser_rule_changes_nothing() -> None:
    effective = effective_policy(preset("strict"), [retailer_rules(k=2, window_max=days(90))])
    assert effective.k == 100
    assert effective.window.max == days(14)
    assert effective.source("k").label == "the collaboration policy `strict` v1"


def test_a_lower_budget_removes_the_epsilons_above_it() -> None:
    effective = effective_policy(
        preset("standard"), [retailer_rules(budget_epsilon=Fraction(3, 10))]
    )
    assert effective.budget.epsilon == Fraction(3, 10)
    assert effective.epsilon_choices == {Fraction(1, 4)}
    assert str(effective.source("epsilon_choices")) == (
        "the retailer's policy v3 (its budget of 0.3 caps every query)"
    )


def test_disjoint_epsilon_lists_leave_no_choice() -> None:
    effective = effective_policy(
        preset("standard"), [brand_rules(epsilon_choices=frozenset({Fraction(1)}))]
    )
    assert effective.epsilon_choices == frozenset()


def test_the_smallest_lifetime_cap_wins_and_no_cap_is_the_loosest() -> None:
    base = make_policy(budget=Budget(Fraction(5), Period("monthly")))
    assert effective_policy(base).budget.lifetime is None
    capped = effective_policy(base, [retailer_rules(budget_lifetime=Fraction(12))])
    assert capped.budget.lifetime == Fraction(12)
    assert str(capped.source("budget.lifetime")) == "the retailer's policy v3"
    both = effective_policy(
        preset("standard"),
        [retailer_rules(budget_lifetime=Fraction(40)), brand_rules(budget_lifetime=Fraction(20))],
    )
    assert both.budget.lifetime == Fraction(20)


def test_disjoint_rules_leave_nothing_and_say_who() -> None:
    effective = effective_policy(
        preset("standard"),
        [retailer_rules(window_max=days(7)), brand_rules(window_min=days(14))],
    )
    assert effective.window.min > effective.window.max
    assert str(effective.source("window.min")) == "the brand's policy v2"
    assert str(effective.source("window.max")) == "the retailer's policy v3"


def test_excluded_by_names_the_first_document_that_leaves_a_value_out() -> None:
    effective = effective_policy(
        preset("standard"),
        [brand_rules(), retailer_rules(purchase_dimensions=frozenset({"category"}))],
    )
    assert str(effective.excluded_by("dimensions.purchases", "store_region")) == (
        "the retailer's policy v3"
    )
    assert str(effective.excluded_by("dimensions.purchases", "zip")) == BASE
    assert effective.excluded_by("dimensions.purchases", "category") is None


def test_pins_intersect_per_party() -> None:
    base = make_policy(pinned_keys=PinnedKeys.of({"brand": [FINGERPRINT, OTHER_FINGERPRINT]}))
    effective = effective_policy(
        base,
        [
            retailer_rules(pinned_keys=PinnedKeys.of({"brand": [FINGERPRINT]})),
            brand_rules(pinned_keys=PinnedKeys.of({"retailer": [OTHER_FINGERPRINT]})),
        ],
    )
    assert effective.pinned_keys.as_dict() == {
        "brand": frozenset({FINGERPRINT}),
        "retailer": frozenset({OTHER_FINGERPRINT}),
    }
    assert key_accepted(effective, "brand", FINGERPRINT)
    assert not key_accepted(effective, "brand", OTHER_FINGERPRINT)
    assert key_accepted(effective, "agency", OTHER_FINGERPRINT)


def test_disjoint_pins_accept_no_key() -> None:
    base = make_policy(pinned_keys=PinnedKeys.of({"brand": [FINGERPRINT]}))
    rules = retailer_rules(pinned_keys=PinnedKeys.of({"brand": [OTHER_FINGERPRINT]}))
    effective = effective_policy(base, [rules])
    assert effective.pinned_keys.for_party("brand") == frozenset()
    assert not key_accepted(effective, "brand", FINGERPRINT)
