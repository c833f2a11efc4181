"""The demo's truth follows each template's definition, person by person, on a tiny world."""

from __future__ import annotations

import pandas as pd
import pytest

from cleanroom.demo import truth

DAY = 86_400
WEEK = 7 * DAY


def world() -> truth.World:
    exposures = pd.DataFrame(
        [
            # person, campaign, time, holdout
            (1, "a", 0, False),
            (1, "b", 2 * DAY, False),
            (2, "a", 0, False),
            (3, "a", 0, True),
            (3, "b", DAY, True),
            (4, "b", 0, False),
        ],
        columns=["person", "campaign_id", "exposure_time", "holdout"],
    ).assign(channel="search")
    purchases = pd.DataFrame(
        [
            (1, 3 * DAY, 10.0),  # after a (day 0) and b (day 2): last touch b
            (2, 8 * DAY, 20.0),  # 8 days after a: outside the 7-day window
            (3, 2 * DAY, 5.0),  # holdout person; last touch b
            (5, DAY, 99.0),  # never exposed
        ],
        columns=["person", "purchase_time", "amount"],
    ).assign(category="home")
    spend = pd.DataFrame({"campaign_id": ["a", "b"], "spend": [10.0, 0.0]})
    return truth.World(exposures, purchases, spend)


def test_overlap_counts_people_on_each_side_and_in_both() -> None:
    assert truth.overlap(world()) == {
        ("matched",): {"users": 3.0},
        ("exposures",): {"users": 4.0},
        ("purchases",): {"users": 4.0},
    }


def test_conversions_credit_the_last_touch_inside_the_window() -> None:
    """Exposed arm only: person 3 is in the holdout of a and b and counts in neither."""
    table = truth.conversions(world(), WEEK)
    assert table[("a",)] == {
        "exposed_users": 2.0,
        "converted_users": 0.0,
        "conversion_rate": 0.0,
        "revenue": 0.0,
        "roas": 0.0,
    }
    assert table[("b",)]["exposed_users"] == 2.0
    assert table[("b",)]["converted_users"] == 1.0
    assert table[("b",)]["revenue"] == 10.0
    assert table[("b",)]["roas"] is None  # zero spend


def test_lift_splits_each_campaign_into_its_arms() -> None:
    table = truth.lift(world(), WEEK)
    a, b = table[("a",)], table[("b",)]
    # a: exposed arm persons 1 (bought day 3, inside) and 2 (day 8, outside); holdout 3.
    assert (a["exposed_users"], a["exposed_converted"]) == (2.0, 1.0)
    assert (a["holdout_users"], a["holdout_converted"]) == (1.0, 1.0)
    assert a["absolute_lift"] == pytest.approx(-0.5)
    assert a["relative_lift"] == pytest.approx(-0.5)
    # b: exposed arm persons 1 and 4 (only 1 bought); holdout 3 bought a day later.
    assert (b["exposed_users"], b["exposed_converted"], b["holdout_converted"]) == (2.0, 1.0, 1.0)
