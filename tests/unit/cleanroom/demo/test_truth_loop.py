"""The closed-loop truth follows each template's definition on the tiny world of
``test_truth``: person 1 saw a (day 0) and b (day 2) and bought 10 on day 3."""

from __future__ import annotations

import math

import pytest

from cleanroom.demo import truth_loop
from tests.unit.cleanroom.demo.test_truth import DAY, WEEK, world


def test_models_split_the_one_credit_of_each_purchase() -> None:
    models = ("last_touch", "first_touch", "linear", "position_based", "time_decay")
    table = truth_loop.attribution(world(), WEEK, models, half_life_s=3 * DAY)
    a, b = table[("a",)], table[("b",)]
    assert (a["exposed_users"], b["exposed_users"]) == (2.0, 2.0)
    assert (a["last_touch.credited_conversions"], b["last_touch.credited_conversions"]) == (0, 1)
    assert (a["first_touch.credited_conversions"], b["first_touch.credited_revenue"]) == (1, 0)
    assert a["linear.credited_revenue"] == b["linear.credited_revenue"] == 5.0
    assert a["position_based.credited_conversions"] == pytest.approx(0.5)  # two touches
    decayed = 2 ** (-2 / 3)  # a is 2 days before the latest touch, half-life 3 days
    share = decayed / (1 + decayed)
    assert a["time_decay.credited_conversions"] == pytest.approx(share)
    assert a["time_decay.roas"] == pytest.approx(round(10 * share, 2) / 10.0)
    assert b["time_decay.roas"] is None  # no spend
    for model in models:
        total = a[f"{model}.credited_conversions"] + b[f"{model}.credited_conversions"]
        assert total == pytest.approx(1.0), model


def test_reach_frequency_buckets_people_by_their_exposures() -> None:
    table = truth_loop.reach_frequency(world(), WEEK)
    assert table[("a", "1")] == {"users": 2.0, "converted": 1.0, "conversion_rate": 0.5}
    assert table[("b", "1")] == {"users": 2.0, "converted": 1.0, "conversion_rate": 0.5}
    assert table[("a", "11+")] == {"users": 0.0, "converted": 0.0, "conversion_rate": None}
    assert {key[1] for key in table} == {"1", "2", "3-5", "6-10", "11+"}


def test_time_to_conversion_puts_the_last_touch_delay_in_its_bucket() -> None:
    table = truth_loop.time_to_conversion(world(), WEEK)
    assert [key[1] for key in table if key[0] == "b"] == ["0-1h", "1h-1d", "1d-3d", "3d+"]
    assert table[("b", "1d-3d")] == {"purchases": 1.0, "campaign_purchases": 1.0, "share": 1.0}
    assert table[("b", "1h-1d")]["purchases"] == 0.0  # a delay of exactly 1d is [1d, 3d)
    assert table[("a", "0-1h")]["share"] is None


def test_funnel_stages_nest_and_rates_divide_them() -> None:
    table = truth_loop.funnel(world(), WEEK)
    a, b = table[("a",)], table[("b",)]
    assert (a["exposed"], a["matched"], a["converted"], a["repeated"]) == (2, 2, 1, 0)
    assert (b["exposed"], b["matched"], b["converted"], b["repeated"]) == (2, 1, 1, 0)
    assert (a["match_rate"], a["conversion_rate"], a["exposed_conversion_rate"]) == (1, 0.5, 0.5)
    assert b["repeat_rate"] == 0.0 and not math.isnan(b["conversion_rate"] or math.nan)
