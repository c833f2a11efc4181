"""The ``protocol`` field: v1 by default, v2 by choice; v1 hashes do not move."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from policies import InvalidPolicy, MatchProtocol, canonical_json, parse_policy, policy_hash
from policies.canonical import to_canonical
from policies.parse import parse_party_rules
from tests.unit.policies.helpers import standard


def test_a_policy_without_the_field_is_v1_and_its_canonical_form_omits_it() -> None:
    policy = standard()
    assert policy.protocol is MatchProtocol.V1
    assert "protocol" not in to_canonical(policy)


def test_v2_is_in_the_canonical_form_and_changes_the_hash() -> None:
    v1 = standard()
    v2 = replace(v1, protocol=MatchProtocol.V2)
    assert json.loads(canonical_json(v2))["protocol"] == "v2"
    assert policy_hash(v2) != policy_hash(v1)
    assert parse_policy(json.loads(canonical_json(v2))) == v2


def test_an_explicit_v1_parses_to_the_same_hash_as_none() -> None:
    data = json.loads(canonical_json(standard()))
    assert policy_hash(parse_policy({**data, "protocol": "v1"})) == policy_hash(standard())


def test_an_unknown_protocol_is_refused_in_plain_words() -> None:
    data = json.loads(canonical_json(standard()))
    with pytest.raises(InvalidPolicy, match=r"protocol: must be one of v1, v2, got 'v3'"):
        parse_policy({**data, "protocol": "v3"})


def test_party_rules_cannot_choose_the_protocol() -> None:
    with pytest.raises(InvalidPolicy, match="protocol: is not a known field"):
        parse_party_rules({"party": "brand", "version": 1, "protocol": "v2"})
