"""Values built in Python check themselves just as documents do."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from policies import (
    Budget,
    ContributionBounds,
    Dimensions,
    InvalidPolicy,
    PartyRules,
    Period,
    PinnedKeys,
    Template,
    WindowBounds,
)
from tests.unit.policies.helpers import FINGERPRINT, days, make_policy


def message(error: pytest.ExceptionInfo[InvalidPolicy]) -> str:
    return str(error.value)


def test_policies_are_frozen() -> None:
    policy = make_policy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.k = 2  # type: ignore[misc]


def test_cross_field_rules() -> None:
    with pytest.raises(InvalidPolicy) as caught:
        make_policy(
            window=WindowBounds(days(10), days(2)),
            epsilon_choices=frozenset({Fraction(1, 2), Fraction(6)}),
            receivers=frozenset(),
            templates=frozenset(),
        )
    assert caught.value.problems == (
        "templates: must allow at least one template",
        "window: the minimum 10d is longer than the maximum 2d",
        "epsilon_choices: 6 is more than the whole budget of 5 per period",
        "receivers: must name at least one party",
    )


def test_a_float_epsilon_is_refused_in_python() -> None:
    with pytest.raises(InvalidPolicy) as caught:
        make_policy(epsilon_choices=frozenset({0.5}))
    assert message(caught) == (
        "invalid policy `standard`: epsilon_choices: must be an exact number (Fraction), got 0.5"
    )


def test_component_values_check_themselves() -> None:
    with pytest.raises(InvalidPolicy, match=r"^invalid budget: epsilon: must be greater than 0"):
        Budget(Fraction(0), Period("monthly"))
    with pytest.raises(InvalidPolicy) as caught:
        ContributionBounds(0, 1, Fraction(-1))
    assert caught.value.problems == (
        "max_campaigns_per_user: must be a whole number of at least 1, got 0",
        "amount_cap: must be greater than 0, got -1",
    )
    with pytest.raises(InvalidPolicy, match=r"^invalid pinned_keys: brand: 'nope' is not a key"):
        PinnedKeys.of({"brand": ["nope"]})


def test_dimensions_know_their_kind() -> None:
    dims = Dimensions(frozenset({"channel"}), frozenset({"category"}))
    assert str(dims.kind_of("channel")) == "exposures"
    assert str(dims.kind_of("category")) == "purchases"
    assert dims.kind_of("zip") is None


def test_pinned_keys_are_kept_sorted_by_party() -> None:
    pins = PinnedKeys((("retailer", frozenset({FINGERPRINT})), ("brand", frozenset({FINGERPRINT}))))
    assert [party for party, _ in pins.entries] == ["brand", "retailer"]
    assert pins.for_party("brand") == frozenset({FINGERPRINT})
    assert pins.for_party("agency") is None


def test_party_rules_check_only_what_they_set() -> None:
    rules = PartyRules(party="brand", version=2, templates=frozenset({Template.LIFT}))
    assert rules.k is None
    with pytest.raises(InvalidPolicy) as caught:
        PartyRules(
            party="brand", version=0, k=1, budget_epsilon=Fraction(0), max_campaigns_per_user=0
        )
    assert caught.value.problems == (
        "version: must be a whole number of at least 1, got 0",
        "k: must be a whole number of at least 2, got 1",
        "budget.epsilon: must be greater than 0, got 0",
        "contribution.max_campaigns_per_user: must be a whole number of at least 1, got 0",
    )
