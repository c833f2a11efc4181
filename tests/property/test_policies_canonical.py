"""Canonical form: round-trips, and the hash ignores how the YAML was written."""

from __future__ import annotations

import random
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from policies import (
    PartyRules,
    Policy,
    canonical_json,
    parse_party_rules,
    parse_policy,
    party_rules_from_yaml,
    policy_from_yaml,
    policy_hash,
    rules_to_canonical,
    to_canonical,
)
from tests.unit.policies.strategies import party_rules, policies


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same document with every mapping's keys and every list in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        copy = list(value)
        rng.shuffle(copy)
        return copy
    return value


@given(policies())
def test_policy_round_trips_through_its_canonical_form(policy: Policy) -> None:
    assert parse_policy(to_canonical(policy)) == policy


@given(party_rules())
def test_rules_round_trip_through_their_canonical_form(rules: PartyRules) -> None:
    assert parse_party_rules(rules_to_canonical(rules)) == rules


@given(policies(), st.randoms(use_true_random=False))
def test_hash_ignores_key_and_list_order_in_yaml(policy: Policy, rng: random.Random) -> None:
    text = yaml.safe_dump(shuffled(to_canonical(policy), rng), sort_keys=False)
    again = policy_from_yaml(text)
    assert canonical_json(again) == canonical_json(policy)
    assert policy_hash(again) == policy_hash(policy)


@given(party_rules(), st.randoms(use_true_random=False))
def test_rules_hash_ignores_yaml_order(rules: PartyRules, rng: random.Random) -> None:
    text = yaml.safe_dump(shuffled(rules_to_canonical(rules), rng), sort_keys=False)
    assert policy_hash(party_rules_from_yaml(text)) == policy_hash(rules)
