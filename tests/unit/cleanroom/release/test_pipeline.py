"""``release``: one path for every template, typed and digested result."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from cleanroom.engine import GroupKeys
from cleanroom.release import (
    ConversionsRequest,
    LiftRequest,
    OverlapRequest,
    ReleasePolicy,
    Sources,
    TemplateRequest,
    release,
    result_digest,
)
from cleanroom.release._testing import exact_mode
from tests.unit.cleanroom.engine.reference import write_exposures, write_purchases

CAMPAIGNS = GroupKeys(("c0", "c1", "c2"))
POLICY = ReleasePolicy(Fraction(1, 2), 5, 3, 10, Fraction(250), keys=CAMPAIGNS)
BY_CHANNEL = replace(POLICY, keys=GroupKeys(CAMPAIGNS.campaigns, ("tv", "web")))
BY_REGION = replace(POLICY, keys=GroupKeys(CAMPAIGNS.campaigns, ("north", "south")))


@pytest.fixture
def sources(tmp_path: Path) -> Sources:
    exposures = [(u, f"c{u % 3}", 100 + u, u % 4 == 0) for u in range(90)]
    purchases = [(u, 150 + u, 12.5) for u in range(0, 90, 2)]
    return Sources(
        (write_exposures(tmp_path / "e.parquet", exposures),),
        (write_purchases(tmp_path / "p.parquet", purchases),),
    )


REQUESTS: list[tuple[TemplateRequest, ReleasePolicy]] = [
    (OverlapRequest("email"), POLICY),
    (ConversionsRequest("email", 86_400), POLICY),
    (ConversionsRequest("email", 86_400, by="channel"), BY_CHANNEL),
    (LiftRequest("email", 86_400), POLICY),
]


@pytest.mark.parametrize(("request_", "policy"), REQUESTS, ids=lambda r: getattr(r, "template", ""))
def test_every_template_releases_a_digested_result(
    sources: Sources, request_: TemplateRequest, policy: ReleasePolicy
) -> None:
    result = release(sources, request_, policy)
    assert result.template == request_.template and not result.exact
    assert result.epsilon_spent == POLICY.epsilon
    assert sum(m.epsilon for m in result.mechanisms) == POLICY.epsilon
    assert all(m.accounted <= m.epsilon for m in result.mechanisms)
    assert result.digest == result_digest(result)
    assert result.digest != result_digest(replace(result, rows_suppressed=99))
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert json.loads(text)["epsilon_spent"] == "1/2"
    for row in result.rows:
        assert set(row.values) == set(result.value_columns)
        assert len(row.key) == len(result.key_columns)
        if row.suppressed:
            assert all(v is None for v in row.values.values())


def test_conversion_sensitivities_follow_the_policy_bounds(sources: Sources) -> None:
    result = release(sources, ConversionsRequest("email", 86_400), POLICY)
    assert {m.statistic: m.sensitivity for m in result.mechanisms} == {
        "conversion_cells": 3,
        "revenue_cents": 10 * 25_000,
    }
    assert all(m.epsilon == Fraction(1, 4) for m in result.mechanisms)
    for m in result.mechanisms:  # scale = sensitivity / epsilon share, up to float steps
        assert m.scale == pytest.approx(m.sensitivity * 4, rel=1e-12)


@pytest.mark.parametrize(
    ("request_", "statistic"),
    [
        (ConversionsRequest("email", 86_400), "conversion_cells"),
        (LiftRequest("email", 86_400), "lift_cells"),
    ],
    ids=["conversions", "lift"],
)
def test_user_count_sensitivity_is_at_most_the_number_of_groups(
    sources: Sources, request_: TemplateRequest, statistic: str
) -> None:
    """C = 20 but only 3 campaigns: a user can be in at most 3 groups."""
    result = release(sources, request_, replace(POLICY, max_campaigns_per_user=20))
    cells = next(m for m in result.mechanisms if m.statistic == statistic)
    assert cells.sensitivity == 3
    assert cells.epsilon == (POLICY.epsilon if statistic == "lift_cells" else POLICY.epsilon / 2)


def test_overlap_is_one_histogram_with_the_whole_epsilon(sources: Sources) -> None:
    result = release(sources, OverlapRequest("email"), POLICY)
    (cells,) = result.mechanisms
    assert (cells.statistic, cells.sensitivity, cells.epsilon) == (
        "overlap_cells",
        1,
        Fraction(1, 2),
    )
    assert set(result.derived) == {"users"}


def test_exact_mode_is_recorded_in_the_result(sources: Sources) -> None:
    with exact_mode():
        result = release(sources, OverlapRequest("email"), POLICY)
    assert result.exact
    assert [r.values["users"].value for r in result.rows if r.values["users"]] == [45, 90, 45]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epsilon": Fraction(0)}, "epsilon must be a positive Fraction"),
        ({"k": 0}, "k must be a whole number of at least 1"),
        ({"max_purchases_per_user": 0}, "max_purchases_per_user must be a whole number"),
        ({"amount_cap": Fraction(1, 1000)}, "amount_cap must be at least 0.01"),
    ],
)
def test_policy_values_validate_themselves(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "epsilon": Fraction(1),
        "k": 5,
        "max_campaigns_per_user": 3,
        "max_purchases_per_user": 10,
        "amount_cap": Fraction(100),
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        ReleasePolicy(**values)  # type: ignore[arg-type]


def test_requests_refuse_unknown_families_and_negative_windows() -> None:
    with pytest.raises(ValueError, match="unknown token family"):
        OverlapRequest("ssn")
    with pytest.raises(ValueError, match="window_seconds"):
        LiftRequest("email", -1)


def test_purchase_dimension_noises_exposure_per_campaign_and_thresholds_converted(
    sources: Sources,
) -> None:
    policy = replace(BY_REGION, remainder=True)
    with exact_mode():
        result = release(sources, ConversionsRequest("email", 86_400, by="store_region"), policy)
    assert result.key_columns == ("campaign", "store_region")
    assert {m.statistic: m.sensitivity for m in result.mechanisms} == {
        "exposed": 3,
        "converted": min(10, 3 * 2),
        "revenue_cents": 10 * 25_000,
    }
    assert not any(row.remainder for row in result.rows)  # exposure is not split by region
    by_campaign: dict[object, set[float]] = {}
    for row in result.rows:
        converted = row.values["converted_users"]
        assert row.suppressed or (converted is not None and converted.value >= POLICY.k)
        exposed = row.values["exposed_users"]
        if exposed is not None:
            by_campaign.setdefault(row.key[0], set()).add(exposed.value)
    assert all(len(values) == 1 for values in by_campaign.values())
