"""From an evaluated ``policies`` query to the inputs of ``release``."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from cleanroom.engine import Attribution, GroupKeys
from cleanroom.errors import RequestInvalid
from cleanroom.release import ConversionsRequest, LiftRequest, OverlapRequest, ReleasePolicy
from cleanroom.release.from_policy import (
    group_keys,
    release_inputs,
    release_policy,
    template_request,
)
from policies import (
    PolicyDenied,
    QueryRequest,
    effective_policy,
    evaluate,
    fresh_state,
    preset,
)
from tests.unit.policies.helpers import standard

STANDARD = effective_policy(standard())
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_release_policy_takes_k_and_bounds_from_the_effective_policy() -> None:
    assert release_policy(STANDARD, Fraction(1, 2)) == ReleasePolicy(
        Fraction(1, 2), 50, 20, 5, Fraction(500)
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (QueryRequest("overlap", "brand"), OverlapRequest("email")),
        (
            QueryRequest("conversions", "brand", "7d", "first_touch", ("channel",)),
            ConversionsRequest("email", 7 * 86_400, Attribution.FIRST_TOUCH, "channel"),
        ),
        (QueryRequest("lift", "retailer", "1d"), LiftRequest("email", 86_400)),
    ],
)
def test_template_request_of_each_template(query: QueryRequest, expected: object) -> None:
    assert template_request(query, "email") == expected


def test_release_inputs_of_an_allowed_decision() -> None:
    query = QueryRequest("conversions", "brand", "7d")
    decision = evaluate(query, STANDARD, fresh_state(STANDARD.budget.period, NOW))
    request, policy = release_inputs(decision, STANDARD, "phone")
    assert request == ConversionsRequest("phone", 7 * 86_400)
    assert policy.epsilon == Fraction(1, 2) == decision.epsilon
    assert policy.keys == GroupKeys(("spring", "summer"))


def test_group_keys_are_the_declared_ones_in_order_with_other_last() -> None:
    by_channel = QueryRequest("conversions", "brand", "7d", dimensions=("channel",))
    assert group_keys(STANDARD, by_channel) == GroupKeys(
        ("spring", "summer"), ("ctv", "display", "search", "social", "video"), other=True
    )
    assert group_keys(STANDARD, QueryRequest("overlap", "brand")) is None


def test_group_keys_refuse_an_undeclared_column() -> None:
    no_campaigns = effective_policy(preset("standard"))
    with pytest.raises(RequestInvalid, match="campaign_id"):
        group_keys(no_campaigns, QueryRequest("lift", "brand", "7d"))


def test_release_inputs_refuse_a_denied_decision() -> None:
    query = QueryRequest("conversions", "brand", "90d")
    decision = evaluate(query, STANDARD, fresh_state(STANDARD.budget.period, NOW))
    with pytest.raises(PolicyDenied):
        release_inputs(decision, STANDARD, "email")
