"""Policies in plain words, and what changed between two versions."""

from __future__ import annotations

from fractions import Fraction

from policies import (
    Direction,
    Period,
    PinnedKeys,
    describe,
    describe_lines,
    diff,
    effective_policy,
    overall,
    preset,
)
from policies.model import Budget, Dimensions
from tests.unit.policies.helpers import FINGERPRINT, days, make_policy, retailer_rules, standard


def test_standard_in_plain_words() -> None:
    assert describe(preset("standard")) == "\n".join(
        [
            "Policy `standard`, version 1.",
            "Allowed queries: conversions, lift, overlap.",
            "Exposure data may be broken down by: channel.",
            "Purchase data may be broken down by: category, store_region.",
            "Groups by category are declared: apparel, beauty, electronics, grocery, home; "
            "any other value is counted as `other`.",
            "Groups by channel are declared: ctv, display, search, social, video; "
            "any other value is counted as `other`.",
            "Groups by store_region are declared: midwest, northeast, south, west; "
            "any other value is counted as `other`.",
            "No keys are declared for: campaign_id; queries grouped by them are refused "
            "(conversions and lift always group by campaign_id).",
            "Every declared group gets a row, released or suppressed; a value that is not "
            "declared never makes a row of its own.",
            "A purchase counts toward an exposure only within an attribution window of 1 day "
            "to 30 days; queries choose a window in that range.",
            "Attribution models of conversions: first_touch, last_touch, linear, "
            "position_based, time_decay; position_based gives the first and the last touch "
            "each 0.2 to 0.5; time_decay halves a touch's weight every 12 hours to 14 days; "
            "w_shaped is unavailable (no stage column is declared).",
            "A group's results are released only when its noisy count of people is at least "
            "50; other groups are suppressed (the decision reads noisy values only).",
            "Each query spends one of these epsilons: 0.25, 0.5 (default 0.5); no other value "
            "is accepted.",
            "All queries together may use at most epsilon 5 per calendar month, refreshed on "
            "the 1st at 00:00 UTC.",
            "Refreshed every calendar month, the budget allows up to epsilon 65 in any 365 "
            "days (13 periods can fall in one); the lifetime cap of epsilon 30 bounds all "
            "queries together for as long as the collaboration lasts, whatever the refresh.",
            "Each person counts toward at most 20 campaigns and 5 purchases; each purchase "
            "amount is capped at 500.",
            "Results are shown only to: brand, retailer.",
            "Keys are pinned once every party_admin has registered: each party signs the "
            "key roster, and rostered keys change only by a new policy that pins them.",
        ]
    )


def test_a_policy_without_a_lifetime_cap_says_the_total_is_unbounded() -> None:
    hourly = make_policy(budget=Budget(Fraction(5), Period("1h")))
    assert (
        "Refreshed every 1 hour, the budget allows up to epsilon 43805 in any 365 days "
        "(8761 periods can fall in one), and there is no lifetime cap: the total over time "
        "grows without bound."
    ) in describe_lines(hourly)
    single = make_policy(epsilon_choices=frozenset({Fraction(1, 4)}))
    assert "Each query spends exactly epsilon 0.25." in describe_lines(single)


def test_strict_has_no_purchase_dimension_and_pins_read_plainly() -> None:
    policy = make_policy(
        dimensions=preset("strict").dimensions,
        pinned_keys=PinnedKeys.of({"brand": [FINGERPRINT]}),
    )
    lines = describe_lines(policy)
    assert "Purchase data may not be broken down by any attribute." in lines
    assert f"Keys of brand are pinned to the fingerprints: {FINGERPRINT}." in lines


def test_an_effective_policy_with_no_window_says_so() -> None:
    effective = effective_policy(
        preset("standard"), [retailer_rules(window_max=days(2)), retailer_rules(window_min=days(5))]
    )
    assert (
        "No attribution window is allowed: the shortest allowed (5 days) is longer than the "
        "longest allowed (2 days)." in describe_lines(effective)
    )


def test_diff_says_what_got_stricter_or_looser() -> None:
    old = standard()
    new = make_policy(
        version=2,
        k=100,
        epsilon_choices=frozenset({Fraction(1, 4), Fraction(1, 2), Fraction(1)}),
        budget=Budget(Fraction(5), Period("weekly"), Fraction(30)),
        dimensions=Dimensions(frozenset({"channel"}), frozenset({"category", "loyalty_tier"})),
    )
    changes = diff(old, new)
    assert [change.message for change in changes] == [
        "purchase dimensions changed (neither stricter nor looser): "
        "category, store_region -> category, loyalty_tier",
        "minimum group size k is stricter: 50 -> 100",
        "allowed epsilons per query is looser: 0.25, 0.5 -> 0.25, 0.5, 1",
        "budget refresh period is looser: monthly -> weekly",
    ]
    assert overall(changes) is Direction.MIXED
    assert diff(old, old) == []
    assert overall([]) is Direction.SAME


def test_periods_compare_by_length() -> None:
    def period_change(a: str, b: str) -> Direction:
        old = make_policy(budget=Budget(Fraction(5), Period(a)))
        new = make_policy(budget=Budget(Fraction(5), Period(b)))
        return diff(old, new)[0].direction

    assert period_change("weekly", "monthly") is Direction.STRICTER
    assert period_change("monthly", "31d") is Direction.STRICTER
    assert period_change("monthly", "30d") is Direction.MIXED
    assert period_change("28d", "daily") is Direction.LOOSER
