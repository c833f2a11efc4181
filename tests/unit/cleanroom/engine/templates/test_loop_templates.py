"""The closed-loop templates' SQL on hand-made worlds: bots, holdouts, undeclared campaigns,
the frequency cap, the delay buckets, the nested funnel stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.engine import (
    Attribution,
    ContributionBounds,
    Engine,
    GroupKeys,
    Sources,
    funnel_cells,
    reach_frequency_cells,
    time_to_conversion_cells,
)
from cleanroom.errors import RequestInvalid
from tests.unit.cleanroom.engine.reference import write_exposures, write_purchases

WIDE = ContributionBounds(10, 100, 10_000)
AB = GroupKeys(("a", "b"))
DAY = 86_400


def _sources(tmp_path: Path, exposures: list, purchases: list) -> Sources:  # type: ignore[type-arg]
    return Sources(
        (write_exposures(tmp_path / "e.parquet", exposures),),
        (write_purchases(tmp_path / "p.parquet", purchases),),
    )


def test_a_bot_with_10000_exposures_is_one_user_in_the_top_bucket(tmp_path: Path) -> None:
    exposures = [(1, "a", t, False) for t in range(10_000)] + [(2, "a", 5, False)]
    exposures += [(3, "a", 5, True), (4, "zzz", 5, False)]  # holdout arm; undeclared
    with Engine(_sources(tmp_path, exposures, [(2, 6, 1.0)])) as engine:
        cells = reach_frequency_cells(engine, "email", DAY, WIDE, AB, (1, 2, 3, 6, 11), 20)
    a = [(c.users, c.converted) for c in cells if c.campaign == "a"]
    assert a == [(1, 1), (0, 0), (0, 0), (0, 0), (1, 0)]
    assert all(c.users == 0 for c in cells if c.campaign == "b")


def test_the_cap_applies_before_bucketing(tmp_path: Path) -> None:
    """With cap 3, five exposures count as three: bucket "3+" of edges (1, 3)."""
    exposures = [(1, "a", t, False) for t in range(5)] + [(2, "a", 0, False)] * 2
    with Engine(_sources(tmp_path, exposures, [])) as engine:
        cells = reach_frequency_cells(engine, "email", DAY, WIDE, AB, (1, 3), 3)
    assert [(c.campaign, c.bucket, c.users) for c in cells] == [
        ("a", 0, 1), ("a", 1, 1), ("b", 0, 0), ("b", 1, 0),
    ]  # fmt: skip


def test_delays_fall_in_half_open_buckets_from_the_attributed_touch(tmp_path: Path) -> None:
    exposures = [(1, "a", 0, False), (1, "b", DAY, False), (2, "a", 0, False)]
    purchases = [(1, DAY + 3600, 5.0), (2, 3 * DAY, 5.0), (2, 9 * DAY, 5.0)]
    found = {}
    with Engine(_sources(tmp_path, exposures, purchases)) as engine:
        for touch in (Attribution.FIRST_TOUCH, Attribution.LAST_TOUCH):
            cells = time_to_conversion_cells(engine, "email", 7 * DAY, touch, WIDE, AB, (3600, DAY))
            found[touch] = {(c.campaign, c.bucket): c.purchases for c in cells if c.purchases}
    # last touch: user 1's purchase is 1h after b (bucket 1h-1d, boundary included)
    assert found[Attribution.LAST_TOUCH] == {("b", 1): 1, ("a", 2): 1}
    # first touch: 1d1h after a; user 2's purchase at 9d is outside the window
    assert found[Attribution.FIRST_TOUCH] == {("a", 2): 2}


def test_the_purchase_bound_caps_delay_cells(tmp_path: Path) -> None:
    exposures = [(1, "a", 0, False)]
    purchases = [(1, t, 1.0) for t in range(100)]
    with Engine(_sources(tmp_path, exposures, purchases)) as engine:
        cells = time_to_conversion_cells(
            engine, "email", DAY, Attribution.LAST_TOUCH, ContributionBounds(2, 3, 100), AB, ()
        )
    assert sum(c.purchases for c in cells) == 3


def test_funnel_stages_are_nested_and_deepest_is_counted(tmp_path: Path) -> None:
    exposures = [(u, "a", 0, False) for u in range(5)] + [(5, "a", 0, True)]
    purchases = [
        (1, 30 * DAY, 1.0),  # matched only: bought, but outside the window
        (2, DAY, 1.0),  # converted
        (3, DAY, 1.0), (3, 5 * DAY, 1.0),  # converted, repeated within the horizon
        (4, DAY, 1.0), (4, 20 * DAY, 1.0),  # converted, bought again after the horizon
        (5, DAY, 1.0),  # holdout arm: nowhere
    ]  # fmt: skip
    with Engine(_sources(tmp_path, exposures, purchases)) as engine:
        (a, b) = funnel_cells(engine, "email", 7 * DAY, 10 * DAY, WIDE, AB)
    assert a.deepest == (1, 1, 2, 1)
    assert a.stage_counts() == (5, 4, 3, 1)
    assert b.deepest == (0, 0, 0, 0)


def test_a_simultaneous_purchase_is_not_a_repeat(tmp_path: Path) -> None:
    exposures = [(1, "a", 0, False)]
    purchases = [(1, DAY, 1.0), (1, DAY, 2.0)]
    with Engine(_sources(tmp_path, exposures, purchases)) as engine:
        (a, _) = funnel_cells(engine, "email", 7 * DAY, 10 * DAY, WIDE, AB)
    assert a.deepest == (0, 0, 1, 0)


@pytest.mark.parametrize("template", ["reach_frequency", "time_to_conversion", "funnel"])
def test_dimension_keys_and_missing_tokens_are_refused(tmp_path: Path, template: str) -> None:
    sources = _sources(tmp_path, [(1, "a", 0, False)], [])
    by_channel = GroupKeys(("a",), ("tv",))

    def run(engine: Engine, family: str, keys: GroupKeys) -> object:
        if template == "reach_frequency":
            return reach_frequency_cells(engine, family, DAY, WIDE, keys, (1,), 5)
        if template == "time_to_conversion":
            return time_to_conversion_cells(
                engine, family, DAY, Attribution.LAST_TOUCH, WIDE, keys, ()
            )
        return funnel_cells(engine, family, DAY, DAY, WIDE, keys)

    with Engine(sources) as engine:
        with pytest.raises(ValueError, match="groups by campaign only"):
            run(engine, "email", by_channel)
        with pytest.raises(RequestInvalid, match="has no column `token_phone`"):
            run(engine, "phone", AB)
