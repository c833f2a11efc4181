"""Strictest-wins merge: never looser than any input, order and repeats do not matter."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policies import (
    Direction,
    EffectivePolicy,
    PartyRules,
    Policy,
    QueryRequest,
    Template,
    diff,
    effective_policy,
    evaluate,
    fresh_state,
)
from policies.order import LEAVES, at_least_as_strict
from tests.unit.policies.helpers import NOV_23
from tests.unit.policies.strategies import (
    EXPOSURE_DIMS,
    PARTIES,
    PURCHASE_DIMS,
    durations,
    epsilons,
    party_rules,
    policies,
)


def values(policy: Policy | EffectivePolicy) -> list[Any]:
    return [leaf.of_policy(policy) for leaf in LEAVES]


def as_rules(policy: Policy, party: str) -> PartyRules:
    """A party that restates the whole base policy as its own rules."""
    return PartyRules(
        party=party,
        version=1,
        templates=policy.templates,
        exposure_dimensions=policy.dimensions.exposures,
        purchase_dimensions=policy.dimensions.purchases,
        window_min=policy.window.min,
        window_max=policy.window.max,
        k=policy.k,
        epsilon_choices=policy.epsilon_choices,
        budget_epsilon=policy.budget.epsilon,
        budget_lifetime=policy.budget.lifetime,
        max_campaigns_per_user=policy.contribution.max_campaigns_per_user,
        max_purchases_per_user=policy.contribution.max_purchases_per_user,
        amount_cap=policy.contribution.amount_cap,
        receivers=policy.receivers,
        pinned_keys=policy.pinned_keys,
        keys=policy.keys,
    )


@given(policies(), st.lists(party_rules(), max_size=3))
def test_merging_never_loosens_any_field(base: Policy, rules: list[PartyRules]) -> None:
    effective = effective_policy(base, rules)
    for leaf in LEAVES:
        merged = leaf.of_policy(effective)
        assert at_least_as_strict(leaf.order, merged, leaf.of_policy(base)), leaf.path
        for rule in rules:
            theirs = leaf.of_rules(rule) if leaf.of_rules else None
            if theirs is not None:
                assert at_least_as_strict(leaf.order, merged, theirs), leaf.path
    assert all(choice <= effective.budget.epsilon for choice in effective.epsilon_choices)
    assert Direction.LOOSER not in {change.direction for change in diff(base, effective)}


@given(policies(), party_rules(), party_rules())
def test_merge_is_commutative_on_the_values(base: Policy, a: PartyRules, b: PartyRules) -> None:
    assert values(effective_policy(base, [a, b])) == values(effective_policy(base, [b, a]))


@given(policies(), party_rules())
def test_merge_is_idempotent(base: Policy, rules: PartyRules) -> None:
    once = effective_policy(base, [rules])
    assert values(effective_policy(base, [rules, rules])) == values(once)
    assert values(effective_policy(base, [as_rules(base, "brand")])) == values(base)


@given(policies(), st.lists(party_rules(), max_size=3), st.data())
def test_what_the_effective_policy_allows_the_base_allows(
    base: Policy, rules: list[PartyRules], data: st.DataObject
) -> None:
    request = QueryRequest(
        template=data.draw(st.sampled_from([Template.CONVERSIONS, Template.LIFT])),
        requester=data.draw(st.sampled_from(PARTIES)),
        window=data.draw(durations),
        dimensions=data.draw(st.lists(st.sampled_from(EXPOSURE_DIMS + PURCHASE_DIMS), max_size=1)),
        epsilon=data.draw(st.none() | epsilons),
    )
    state = fresh_state(base.budget.period, NOV_23)
    effective = effective_policy(base, rules)
    strict_decision = evaluate(request, effective, state)
    if strict_decision.allowed and request.epsilon is not None:
        assert evaluate(request, base, state).allowed
    for denial in strict_decision.denials:
        assert denial.source is not None
        assert denial.message
