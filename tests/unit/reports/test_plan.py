"""The reallocation plan: returns read from released results only, the probability of
beating the portfolio average, the shift under the limits, and its refusals."""

from __future__ import annotations

import math

import pytest

from reports import Limits, PlanInfeasible, ReportError, plan_budget, read_result
from reports.number import Number
from reports.plan import Z95, beats_average
from reports.returns import CampaignReturn, campaign_returns
from tests.unit.reports.results import conversions, iroas_row, lift, reply, roas_row, row


def test_spend_is_read_back_from_revenue_over_roas() -> None:
    found, notes = campaign_returns([conversions(roas_row("a", 3000.0, 1234.56, 300.0))])
    assert [c.campaign for c in found] == ["a"] and notes == []
    assert found[0].spend == pytest.approx(1234.56) and found[0].basis == "roas"


def test_probability_is_exact_for_two_normal_campaigns() -> None:
    sd = 0.5
    half = sd * Z95
    a = CampaignReturn("a", 100.0, Number(3.0, 3.0 - half, 3.0 + half), "roas", "r")
    b = CampaignReturn("b", 100.0, Number(2.0, 2.0 - half, 2.0 + half), "roas", "r")
    (pa, pb), average = beats_average([a, b])
    # r_a - (r_a + r_b) / 2 = (r_a - r_b) / 2 ~ N(0.5, sd^2 / 2)
    expected = 0.5 * (1 + math.erf(0.5 / (sd / math.sqrt(2)) / math.sqrt(2)))
    assert pa == pytest.approx(expected) and pb == pytest.approx(1 - expected)
    assert average is not None and average.value == pytest.approx(2.5)
    assert average.high == pytest.approx(2.5 + Z95 * math.sqrt(2 * (0.5 * sd) ** 2))


def test_budget_moves_towards_the_likely_better_campaign_within_the_limit() -> None:
    plan = plan_budget(
        [
            conversions(
                roas_row("good", 40_000, 10_000, 2_000), roas_row("bad", 10_000, 10_000, 2_000)
            )
        ],
        Limits(max_change=0.2),
    )
    good, bad = plan.rows
    assert good.probability_beats_average is not None and good.probability_beats_average > 0.99
    assert good.suggested_spend == pytest.approx(12_000) and bad.suggested_spend == 8_000
    assert plan.total == 20_000 and plan.basis == "roas"


def test_a_wide_interval_means_little_change() -> None:
    plan = plan_budget(
        [conversions(roas_row("a", 12_000, 10_000, 50_000), roas_row("b", 10_000, 10_000, 50_000))],
        Limits(max_change=0.5),
    )
    for r in plan.rows:
        assert r.probability_beats_average == pytest.approx(0.5, abs=0.05)
        assert abs(r.change) < 0.05 * r.current_spend


def test_a_withheld_return_is_held_and_a_suppressed_campaign_left_out() -> None:
    released = read_result(
        reply(
            "conversions",
            ["revenue", "roas", "spend"],
            [
                row("a", {"revenue": [5e3, 4e3, 6e3], "roas": [1.0, 0.8, 1.2], "spend": [5e3] * 3}),
                row("b", {"revenue": [1e3, 0, 2e3], "roas": None, "spend": [2e3] * 3}),
                row("c", None),
            ],
        )
    )
    plan = plan_budget([released], Limits(max_change=0.3, total=8_000))
    assert [r.campaign for r in plan.rows] == ["a", "b"]
    held = plan.rows[1]
    assert held.probability_beats_average is None and held.basis == "held: roas not released"
    assert held.suggested_spend == pytest.approx(2_000 * 8_000 / 7_000, abs=0.01)
    assert sum(r.suggested_spend for r in plan.rows) == pytest.approx(8_000)
    assert plan.notes == ("c: left out, its spend is not in res_conversions",)


def test_incremental_roas_is_preferred_where_a_result_releases_it() -> None:
    plan = plan_budget(
        [
            conversions(roas_row("a", 30_000, 10_000, 1_000), roas_row("b", 10_000, 10_000, 1_000)),
            lift(iroas_row("a", 10_000, 0.2, 0.1), iroas_row("b", 10_000, 1.5, 0.1)),
        ],
        Limits(max_change=0.1),
    )
    assert plan.basis == "incremental_roas"
    a, b = plan.rows
    assert a.suggested_spend == 9_000 and b.suggested_spend == 11_000  # iROAS, not ROAS
    assert a.result_id == "res_lift"
    roas_only = plan_budget(
        [conversions(roas_row("a", 30_000, 10_000, 1_000), roas_row("b", 10_000, 10_000, 1_000))],
        Limits(max_change=0.1),
        basis="roas",
    )
    assert roas_only.rows[0].suggested_spend == 11_000


def test_yen_amounts_are_whole() -> None:
    plan = plan_budget(
        [conversions(roas_row("a", 9_000, 3_333, 500), roas_row("b", 3_000, 3_334, 500))],
        Limits(max_change=0.33),
        decimals=0,
    )
    assert all(float(r.suggested_spend).is_integer() for r in plan.rows)
    assert sum(r.suggested_spend for r in plan.rows) == 6_667


@pytest.mark.parametrize(
    ("results", "limits", "message"),
    [
        (
            [
                read_result(
                    reply(
                        "overlap",
                        ["users"],
                        [row("matched", {"users": [1, 0, 2]})],
                        ("population",),
                    )
                )
            ],
            Limits(),
            "no spend: results res_overlap release no roas or incremental_roas "
            "(run conversions with --spend, or lift with spend)",
        ),
        (
            [
                read_result(
                    reply(
                        "conversions",
                        ["revenue", "roas"],
                        [row(["a", "x"], {"revenue": [1, 0, 2], "roas": [1, 0, 2]})],
                        ("campaign", "channel"),
                    )
                )
            ],
            Limits(),
            "result res_conversions is broken down by channel; a plan needs one row per "
            "campaign (ask without --by)",
        ),
        (
            [
                conversions(roas_row("a", 1, 1, 1)),
                conversions(roas_row("a", 1, 1, 1), result_id="res_2"),
            ],
            Limits(),
            "campaign a is in results res_conv and res_2; give one result per campaign",
        ),
        (
            [conversions(roas_row("a", 100, 50, 10), roas_row("b", 100, 50, 10))],
            Limits(min_spend=60),
            "the limits cannot all hold: the minimum spends (and the change limit) add up to "
            "more than the total to plan (12000 to 12000 minor units possible, 10000 asked); "
            "widen --max-change, lower --min-spend or change --total",
        ),
    ],
)
def test_unusable_input_is_refused_in_plain_words(
    results: list, limits: Limits, message: str
) -> None:
    with pytest.raises(ReportError) as raised:
        plan_budget(results, limits)
    assert str(raised.value) == message


def test_limits_check_themselves() -> None:
    with pytest.raises(ReportError, match="max change must be between 0% and 100%, got 150%"):
        Limits(max_change=1.5)
    with pytest.raises(ReportError, match="total must be a positive amount"):
        Limits(total=0)
    assert issubclass(PlanInfeasible, ReportError)
