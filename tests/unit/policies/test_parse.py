"""Every way a policy document can be wrong, with the exact message a person reads."""

from __future__ import annotations

from fractions import Fraction

import pytest

from policies import (
    InvalidPolicy,
    PinnedKeys,
    Template,
    party_rules_from_yaml,
    policy_from_yaml,
    preset_yaml,
)
from tests.unit.policies.helpers import FINGERPRINT

STANDARD = preset_yaml("standard")
P = "invalid policy `standard`: "


def edited(old: str, new: str) -> str:
    assert old in STANDARD
    return STANDARD.replace(old, new)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (edited("k: 50", "k: 1"), P + "k: must be a whole number of at least 2, got 1"),
        (edited("k: 50", "k: '50'"), P + "k: must be a whole number of at least 2, got '50'"),
        (edited("k: 50", "k: true"), P + "k: must be a whole number of at least 2, got True"),
        (edited("version: 1", "version: 1.5"),
         P + "version: must be a whole number of at least 1, got 1.5"),
        (edited('"1/2"', "0"), P + "epsilon_choices: must be greater than 0, got 0"),
        (edited('"1/2"', "abc"),
         P + "epsilon_choices: write an exact number such as \"0.5\" or \"1/4\", got 'abc'"),
        (edited('"1/2"', ".inf"),
         P + "epsilon_choices: write an exact number such as \"0.5\" or \"1/4\", got '.inf'"),
        (edited('"1/2"', "6"),
         P + "epsilon_choices: 6 is more than the whole budget of 5 per period"),
        (edited('"1/2"', '"1/4"'), P + "epsilon_choices: lists an epsilon twice"),
        (edited('["1/4", "1/2"]', "[]"), P + "epsilon_choices: list at least one allowed epsilon"),
        (edited('["1/4", "1/2"]', "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]"),
         P + "epsilon_choices: list at most 8 allowed epsilons, got 9"),
        (edited('"1/2"', '"1/1001"'),
         P + "epsilon_choices: 1/1001 is not a simple number; an allowed epsilon has a "
         "denominator of at most 1000 (such as 0.05 or 1/3)"),
        (edited('"1/2"', '"1e-999999999"'),
         P + "epsilon_choices: write an exact number such as \"0.5\" or \"1/4\", "
         "got '1e-999999999' (exponent too large)"),
        (edited("k: 50", 'k: 50\nepsilon_per_query: "1/2"'),
         P + "epsilon_per_query: write only epsilon_choices (epsilon_per_query is its older "
         "one-value form)"),
        (edited("lifetime: 30", "lifetime: 0"),
         P + "budget.lifetime: must be greater than 0, got 0"),
        (edited("min: 1d", "min: 31d"),
         P + "window: the minimum 31d is longer than the maximum 30d"),
        (edited("max: 30d", "max: 30x"),
         P + "window.max: write a whole number and a unit (s, m, h, d or w), such as \"7d\", "
         "got '30x'"),
        (edited("max: 30d", "max: 30"),
         P + "window.max: write a whole number and a unit (s, m, h, d or w), such as \"7d\", "
         "got 30"),
        (edited("[overlap, conversions, lift]", "[overlap, reach]"),
         P + "templates: `reach` is not a template; choose from conversions, funnel, lift, "
         "overlap, reach_frequency, time_to_conversion"),
        (edited("[overlap, conversions, lift]", "[]"),
         P + "templates: must allow at least one template"),
        (edited("[overlap, conversions, lift]", "overlap"),
         P + "templates: must be a list of names, got 'overlap'"),
        (edited("[category, store_region]", "[amount]"),
         P + "dimensions.purchases: `amount` is a required column of purchases data, "
         "not a dimension"),
        (edited("[channel]", "[token_email]"),
         P + "dimensions.exposures: `token_email` is a required column of exposures data, "
         "not a dimension"),
        (edited("[channel]", "[holdout]"),
         P + "dimensions.exposures: `holdout` is a required column of exposures data, "
         "not a dimension"),
        (edited("[category, store_region]", "[Zip]"),
         P + "dimensions.purchases: `Zip` is not a column name; use lowercase letters, digits "
         "and '_', starting with a letter"),
        (edited("[category, store_region]", "[channel]"),
         P + "dimensions.exposures: `channel` is also listed for purchases; a dimension must "
         "belong to one dataset kind"),
        (edited("dimensions:\n", "dimensions:\n  spend: [campaign]\n"),
         P + "dimensions.spend: spend data has no dimensions"),
        (edited("k: 50", "k: 50\nreceiver: [brand]"),
         P + "receiver: is not a known field; did you mean `receivers`?"),
        (edited("k: 50\n", ""), P + "k: is required"),
        (edited("window:\n  min: 1d\n  max: 30d\n", ""), P + "window: is required"),
        (edited("window:\n  min: 1d\n  max: 30d\n", "window: 30d\n"),
         P + "window: must be a mapping of fields"),
        (edited("  max: 30d\n", ""), P + "window.max: is required"),
        (edited("period: monthly", "period: fortnightly"),
         P + "budget.period: write daily, weekly, monthly or a fixed length such as \"30d\", "
         "got 'fortnightly'"),
        (edited("epsilon: 5", "epsilon: -1"), P + "budget.epsilon: must be greater than 0, got -1"),
        (edited("amount_cap: 500", "amount_cap: 0"),
         P + "contribution.amount_cap: must be greater than 0, got 0"),
        (edited("max_campaigns_per_user: 20", "max_campaigns_per_user: 0"),
         P + "contribution.max_campaigns_per_user: must be a whole number of at least 1, got 0"),
        (edited("max_purchases_per_user: 5\n", "max_purchases_per_user: 2.5\n"),
         P + "contribution.max_purchases_per_user: must be a whole number of at least 1, "
         "got 2.5"),
        (edited("receivers: [brand, retailer]", "receivers: []"),
         P + "receivers: must name at least one party"),
        (edited("receivers: [brand, retailer]", "receivers: [Brand]"),
         P + "receivers: must be 1 to 64 characters of lowercase letters, digits, '.', '_' or "
         "'-', starting with a letter or digit, got 'Brand'"),
        (STANDARD + "pinned_keys:\n  brand: [abcd]\n",
         P + "pinned_keys.brand: 'abcd' is not a key fingerprint; expected eight groups of four "
         "lowercase hex digits separated by spaces, as the key commands print them"),
        (STANDARD + "pinned_keys:\n  brand: []\n",
         P + "pinned_keys: brand: list at least one fingerprint (leave the party out)"),
        (STANDARD + "pinned_keys: [brand]\n",
         P + "pinned_keys: must map each party to a list of key fingerprints"),
        (edited("cleanroom-policy/1", "cleanroom-policy/9"),
         P + "format: this software reads 'cleanroom-policy/1', got 'cleanroom-policy/9'"),
        (edited("name: standard", "name: Standard Policy"),
         "invalid policy: name: must be 1 to 64 characters of lowercase letters, digits, '.', "
         "'_' or '-', starting with a letter or digit, got 'Standard Policy'"),
        ("- a\n- b\n", "invalid policy: document: must be a mapping of fields"),
        (edited("k: 50", "k: 50\nk: 5"), "invalid document: line 14: `k` appears twice"),
        ("k: [1, 2\n", "invalid document: line 2: expected ',' or ']', but got '<stream end>'"),
    ],
)  # fmt: skip
def test_each_invalid_policy_has_an_exact_message(text: str, message: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        policy_from_yaml(text)
    assert str(caught.value) == message


def test_every_problem_is_reported_at_once() -> None:
    text = edited("k: 50", "k: 1").replace("max: 30d", "max: soon").replace("lift]", "reach]")
    with pytest.raises(InvalidPolicy) as caught:
        policy_from_yaml(text)
    assert caught.value.problems == (
        "templates: `reach` is not a template; choose from conversions, funnel, lift, overlap, "
        "reach_frequency, time_to_conversion",
        "k: must be a whole number of at least 2, got 1",
        "window.max: write a whole number and a unit (s, m, h, d or w), such as \"7d\", got 'soon'",
    )


def test_numbers_are_read_exactly_from_yaml() -> None:
    policy = policy_from_yaml(
        edited('"1/2"', "0.1").replace("amount_cap: 500", "amount_cap: 19.99")
    )
    assert policy.epsilon_choices == {Fraction(1, 10), Fraction(1, 4)}
    assert policy.contribution.amount_cap == Fraction(1999, 100)


def test_an_old_epsilon_per_query_is_read_as_the_one_allowed_value() -> None:
    old = edited('epsilon_choices: ["1/4", "1/2"]', 'epsilon_per_query: "1/2"')
    policy = policy_from_yaml(old.replace("  lifetime: 30", ""))
    assert policy.epsilon_choices == {Fraction(1, 2)}
    assert policy.budget.lifetime is None
    one = policy_from_yaml(edited('["1/4", "1/2"]', '"1/2"'))
    assert one.epsilon_choices == {Fraction(1, 2)}


def test_a_single_fingerprint_may_be_written_without_a_list() -> None:
    policy = policy_from_yaml(STANDARD + f"pinned_keys:\n  brand: '{FINGERPRINT}'\n")
    assert policy.pinned_keys == PinnedKeys.of({"brand": [FINGERPRINT]})


def test_party_rules_may_set_any_subset() -> None:
    rules = party_rules_from_yaml(
        "party: retailer\nversion: 3\nk: 80\ntemplates: [conversions]\n"
        "dimensions: {purchases: [category]}\nwindow: {max: 7d}\nbudget: {epsilon: '1/4'}\n"
        "contribution: {amount_cap: 200}\nreceivers: [brand]\n"
    )
    assert rules.k == 80
    assert rules.templates == frozenset({Template.CONVERSIONS})
    assert rules.purchase_dimensions == frozenset({"category"})
    assert rules.exposure_dimensions is None
    assert rules.window_min is None and str(rules.window_max) == "7d"
    assert rules.budget_epsilon == Fraction(1, 4)
    assert rules.amount_cap == Fraction(200) and rules.max_purchases_per_user is None
    assert rules.receivers == frozenset({"brand"})
    assert rules.label == "the retailer's policy v3"


def test_party_rules_may_narrow_the_epsilons_and_cap_the_lifetime() -> None:
    rules = party_rules_from_yaml(
        "party: brand\nversion: 2\nepsilon_choices: ['1/4']\nbudget: {lifetime: 12}\n"
    )
    assert rules.epsilon_choices == {Fraction(1, 4)}
    assert rules.budget_lifetime == Fraction(12) and rules.budget_epsilon is None
    legacy = party_rules_from_yaml("party: brand\nversion: 2\nepsilon_per_query: 0.5\n")
    assert legacy.epsilon_choices == {Fraction(1, 2)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("party: retailer\nversion: 3\nbudget: {period: weekly}\n",
         "invalid rules of `retailer`: budget.period: is set by the collaboration policy for "
         "everyone; a party's rules may only lower budget.epsilon and budget.lifetime"),
        ("party: retailer\nversion: 3\nk: 1\n",
         "invalid rules of `retailer`: k: must be a whole number of at least 2, got 1"),
        ("party: retailer\nversion: 3\nwindow: {min: 9d, max: 2d}\n",
         "invalid rules of `retailer`: window: the minimum 9d is longer than the maximum 2d"),
        ("party: retailer\nk: 80\n", "invalid rules of `retailer`: version: is required"),
        ("party: retailer\nversion: 3\nname: x\n",
         "invalid rules of `retailer`: name: is not a known field"),
        ("party: retailer\nversion: 3\ndimensions: {purchases: [amount]}\n",
         "invalid rules of `retailer`: dimensions.purchases: `amount` is a required column of "
         "purchases data, not a dimension"),
    ],
)  # fmt: skip
def test_each_invalid_party_rule_has_an_exact_message(text: str, message: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        party_rules_from_yaml(text)
    assert str(caught.value) == message
