"""The canonical form and the hash every party signs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from fractions import Fraction

from policies import (
    Budget,
    KeyPinning,
    Period,
    PinnedKeys,
    QueryRequest,
    Template,
    canonical_json,
    effective_policy,
    effective_policy_hash,
    parse_policy,
    party_rules_from_yaml,
    policy_from_yaml,
    policy_hash,
    preset,
    preset_yaml,
    query_to_canonical,
    to_canonical,
)
from tests.unit.policies.helpers import (
    FINGERPRINT,
    brand_rules,
    days,
    make_policy,
    retailer_rules,
)

# Known answer: changing the canonical form changes every signature, so it must be on purpose.
STANDARD_HASH = "6e41dc19bfa3530ed76c0e87808d75d81e7ccdd397911dcbf98b9f772ed705fc"


def test_standard_preset_known_answer() -> None:
    policy = preset("standard")
    assert canonical_json(policy).startswith(
        b'{"attribution":{"end_weight":{"max":"1/2","min":"1/5"},'
        b'"half_life":{"max":"14d","min":"12h"},'
        b'"models":["first_touch","last_touch","linear","position_based","time_decay"],'
        b'"stage":null},"budget":{"epsilon":"5/1","lifetime":"30/1","period":"monthly"},'
    )
    assert policy_hash(policy) == hashlib.sha256(canonical_json(policy)).hexdigest()
    assert policy_hash(policy) == STANDARD_HASH


def test_pin_keys_is_in_the_canonical_form_only_when_set() -> None:
    """A policy without ``pin_keys`` hashes as it did before the field existed."""
    policy = preset("standard")
    assert b'"pin_keys":"on_registration"' in canonical_json(policy)
    unpinned = replace(policy, pin_keys=KeyPinning.NONE)
    assert b"pin_keys" not in canonical_json(unpinned)
    assert policy_hash(unpinned) != policy_hash(policy)


def test_key_order_and_spelling_in_yaml_do_not_matter() -> None:
    reordered = """
receivers: [retailer, brand]
k: 50
budget: {period: monthly, epsilon: "5.0", lifetime: 30}
window: {max: 720h, min: 24h}
contribution: {amount_cap: 500.00, max_purchases_per_user: 5, max_campaigns_per_user: 20}
epsilon_choices: [0.5, "1/4"]
templates: [lift, overlap, conversions]
dimensions: {purchases: [store_region, category], exposures: [channel]}
version: 1
name: standard
pin_keys: on_registration
keys:
  store_region: {other: true, values: [west, south, northeast, midwest]}
  channel: {values: [video, social, search, display, ctv], other: true}
  category: {other: true, values: [home, grocery, electronics, beauty, apparel]}
attribution:
  half_life: {max: 2w, min: 720m}
  models: [time_decay, position_based, linear, last_touch, first_touch]
  end_weight: {max: 0.5, min: "1/5"}
"""
    assert policy_hash(policy_from_yaml(reordered)) == STANDARD_HASH


def test_any_change_changes_the_hash() -> None:
    assert policy_hash(make_policy(k=51)) != STANDARD_HASH
    assert policy_hash(make_policy(version=2)) != STANDARD_HASH
    assert policy_hash(make_policy(epsilon_choices=frozenset({Fraction(1, 3)}))) != STANDARD_HASH
    pinned = make_policy(pinned_keys=PinnedKeys.of({"brand": [FINGERPRINT]}))
    assert policy_hash(pinned) != STANDARD_HASH


def test_canonical_form_is_a_policy_document() -> None:
    policy = make_policy(pinned_keys=PinnedKeys.of({"brand": [FINGERPRINT]}))
    data = json.loads(canonical_json(policy))
    assert data == to_canonical(policy)
    assert data["pinned_keys"] == {"brand": [FINGERPRINT]}
    assert parse_policy(data) == policy


def test_party_rules_hash_only_what_was_set() -> None:
    rules = retailer_rules(k=80, budget_epsilon=Fraction(1, 4))
    assert json.loads(canonical_json(rules)) == {
        "format": "cleanroom-policy/1",
        "party": "retailer",
        "version": 3,
        "k": 80,
        "budget": {"epsilon": "1/4"},
    }
    same = party_rules_from_yaml("budget: {epsilon: 0.25}\nk: 80\nversion: 3\nparty: retailer\n")
    assert policy_hash(same) == policy_hash(rules)
    assert policy_from_yaml(preset_yaml("standard")) == preset("standard")


def test_rules_epsilons_and_lifetime_are_canonical() -> None:
    rules = retailer_rules(
        epsilon_choices=frozenset({Fraction(1, 2), Fraction(1, 4)}), budget_lifetime=Fraction(9)
    )
    data = json.loads(canonical_json(rules))
    assert data["epsilon_choices"] == ["1/4", "1/2"]
    assert data["budget"] == {"lifetime": "9/1"}


def test_no_lifetime_cap_is_null_and_reads_back() -> None:
    policy = make_policy(budget=Budget(Fraction(5), Period("monthly")))
    data = json.loads(canonical_json(policy))
    assert data["budget"] == {"epsilon": "5/1", "lifetime": None, "period": "monthly"}
    assert parse_policy(data) == policy


def test_effective_policy_hash_ignores_rule_order_and_repeats() -> None:
    a, b = retailer_rules(k=80), brand_rules(k=60)
    base = preset("standard")
    one = effective_policy_hash(effective_policy(base, [a, b]))
    assert one == effective_policy_hash(effective_policy(base, [b, a, b]))
    assert one != effective_policy_hash(effective_policy(base, [a]))
    assert one != effective_policy_hash(effective_policy(make_policy(version=2), [a, b]))


def test_query_canonical_form() -> None:
    request = QueryRequest(
        Template.CONVERSIONS, "brand", days(7), dimensions=("channel",), epsilon=Fraction(1, 4)
    )
    assert query_to_canonical(request) == {
        "template": "conversions",
        "requester": "brand",
        "window": "7d",
        "attribution": "last_touch",
        "dimensions": ["channel"],
        "epsilon": "1/4",
    }


def test_a_policy_without_an_attribution_section_keeps_its_hash() -> None:
    """The section is in the canonical form only when it is not the default, so policies
    signed before it existed keep their hashes (and their signatures)."""
    text = preset_yaml("standard")
    start, end = text.index("attribution:\n"), text.index("# Keys become binding")
    without = policy_hash(policy_from_yaml(text[:start] + text[end:]))
    assert without != STANDARD_HASH
    default = "attribution:\n  models: [last_touch, first_touch]\n"
    assert policy_hash(policy_from_yaml(text[:start] + default + text[end:])) == without
    assert "attribution" not in to_canonical(policy_from_yaml(text[:start] + text[end:]))
