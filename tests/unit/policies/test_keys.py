"""Declared group keys: parsed from YAML, self-validating, merged by intersection."""

from __future__ import annotations

import pytest

from policies import ColumnKeys, InvalidPolicy, KeySet, policy_from_yaml, preset_yaml
from policies.keys import parse_keys
from tests.unit.policies.helpers import make_policy

BASE = preset_yaml("standard").split("\nkeys:")[0] + "\nkeys:\n"


def test_list_and_mapping_forms() -> None:
    keys = parse_keys(
        {"campaign_id": ["spring", "summer"], "channel": {"values": ["tv"], "other": True}}
    )
    assert keys.for_column("campaign_id") == ColumnKeys(frozenset({"spring", "summer"}))
    channel = keys.for_column("channel")
    assert channel is not None and channel.keys() == ("tv", "other")
    assert keys.for_column("category") is None


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (
            "  campaign_id: {values: [a], other: true}",
            "keys.campaign_id: an `other` campaign would mix campaigns (and their spend); "
            "list every campaign id",
        ),
        ("  campaign_id: [a, a]", "keys.campaign_id: lists a value twice"),
        (
            "  channel: {values: [other], other: true}",
            "keys.channel: `other` is the bucket for undeclared values; rename that value",
        ),
        ("  channel: []", "keys.channel: declares no value, so it has no group"),
        (
            "  channel: {values: [], other: false}",
            "keys.channel: declares no value and no `other` bucket, so it has no group",
        ),
        (
            "  channel: {values: [a], other: maybe}",
            "keys.channel: other: must be true or false, got 'maybe'",
        ),
        (
            "  channel: {vals: [a]}",
            "keys.channel: must be a list of values, or a mapping with `values` and `other`",
        ),
        ("  channel: [1]", "keys.channel: 1 is not a key; use text of 1 to 200 characters"),
    ],
)
def test_invalid_keys_say_exactly_what_is_wrong(lines: str, problem: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        policy_from_yaml(BASE + lines + "\n")
    assert caught.value.problems == (problem,)


def test_meet_intersects_each_column_and_keeps_columns_only_one_declares() -> None:
    policy = parse_keys({"channel": {"values": ["tv", "web"], "other": True}})
    party = parse_keys({"channel": ["web", "radio"], "campaign_id": ["spring"]})
    merged = policy.meet(party)
    assert merged == parse_keys({"channel": ["web"], "campaign_id": ["spring"]})
    assert merged == party.meet(policy)
    assert merged.within(policy) and merged.within(party)
    assert not policy.within(merged)


def test_disjoint_declarations_leave_a_column_with_no_group() -> None:
    merged = parse_keys({"channel": ["tv"]}).meet(parse_keys({"channel": ["web"]}))
    channel = merged.for_column("channel")
    assert channel is not None and channel.keys() == ()
    with pytest.raises(ValueError, match="declares no value and no `other` bucket"):
        merged.check_declared()


def test_a_document_cannot_hold_an_empty_column() -> None:
    with pytest.raises(InvalidPolicy) as caught:
        make_policy(keys=KeySet.of({"channel": ColumnKeys(frozenset())}))
    assert caught.value.problems == ("keys: channel: declares no value and no `other` bucket",)
