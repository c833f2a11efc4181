"""The template SQL on small hand-checked tables: values, bounds, errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.engine import (
    Attribution,
    ContributionBounds,
    Engine,
    EngineSettings,
    GroupKeys,
    Sources,
    conversion_cells,
    lift_cells,
    overlap_counts,
)
from cleanroom.engine.bound import key_params
from cleanroom.engine.templates.conversions import conversions_sql
from cleanroom.engine.templates.lift import lift_sql
from cleanroom.errors import RequestInvalid
from protocols import DatasetKind
from tests.unit.cleanroom.engine.reference import write_exposures, write_purchases

WIDE = ContributionBounds(100, 100_000, 10_000)
LAST = Attribution.LAST_TOUCH
DAY = 86_400
KEYS = GroupKeys(("a", "b", "c"))
WEB = GroupKeys(("a", "b", "c"), ("web",))
A, AB = GroupKeys(("a",)), GroupKeys(("a", "b"))

EXPOSURES = [
    (1, "a", 100, False),
    (1, "b", 200, False),
    (2, "a", 100, True),
    (3, "b", 100, False),
    (None, "a", 100, False),
    (5, "c", 100, False),
]
PURCHASES = [(1, 250, 10.0), (1, 150, 1e9), (2, 150, float("nan")), (4, 150, 3.0)]


@pytest.fixture
def sources(tmp_path: Path) -> Sources:
    spend = tmp_path / "spend.parquet"
    pq.write_table(pa.table({"campaign_id": ["a", "b", "a"], "spend": [60.0, 50.0, 40.0]}), spend)
    return Sources(
        (write_exposures(tmp_path / "e.parquet", EXPOSURES),),
        (write_purchases(tmp_path / "p.parquet", PURCHASES),),
        (spend,),
    )


def test_overlap_counts_distinct_users_per_side(sources: Sources) -> None:
    with Engine(sources) as engine:
        counts = overlap_counts(engine, "email")
    assert (counts.matched, counts.exposures, counts.purchases) == (2, 4, 3)


def test_conversions_last_touch_clamps_amounts_and_joins_spend(sources: Sources) -> None:
    with Engine(sources) as engine:
        cells = conversion_cells(engine, "email", 100, LAST, WIDE, KEYS).cells
    table = {c.campaign: (c.exposed, c.converted, c.revenue_cents, c.spend) for c in cells}
    # 1e9 is clamped to the 100.00 cap; user 4 was never exposed; user 2 is in the
    # holdout arm of a, so neither exposed to it nor converted by it.
    assert table == {"a": (1, 1, 10_000, 100.0), "b": (2, 1, 1_000, 50.0), "c": (1, 0, 0, None)}


def test_first_touch_gives_the_purchase_to_the_earliest_exposure(tmp_path: Path) -> None:
    exp = write_exposures(tmp_path / "e.parquet", [(1, "a", 100, False), (1, "b", 200, False)])
    pur = write_purchases(tmp_path / "p.parquet", [(1, 250, 5.0)])
    with Engine(Sources((exp,), (pur,))) as engine:
        first = conversion_cells(engine, "email", 200, Attribution.FIRST_TOUCH, WIDE, AB).cells
        last = conversion_cells(engine, "email", 200, LAST, WIDE, AB).cells
    assert [(c.campaign, c.converted) for c in first] == [("a", 1), ("b", 0)]
    assert [(c.campaign, c.converted) for c in last] == [("a", 0), ("b", 1)]


def test_conversions_by_dimension(sources: Sources) -> None:
    with Engine(sources) as engine:
        found = conversion_cells(engine, "email", 100, LAST, WIDE, WEB, by="channel")
    assert found.dimension_dataset is DatasetKind.EXPOSURES
    cells = found.cells
    assert [(c.campaign, c.dimension, c.exposed) for c in cells] == [
        ("a", "web", 1),  # user 2 is in a's holdout arm
        ("b", "web", 2),
        ("c", "web", 1),
    ]


def test_conversions_and_lift_agree_on_exposed_users(sources: Sources) -> None:
    with Engine(sources) as engine:
        conversions = conversion_cells(engine, "email", 100, LAST, WIDE, KEYS).cells
        lifts = lift_cells(engine, "email", 100, WIDE, KEYS)
    assert [c.exposed for c in conversions] == [c.exposed for c in lifts]


def test_the_purchase_cap_keeps_attributable_purchases(tmp_path: Path) -> None:
    """P = 1 and each user has one purchase outside every window and one inside: the
    one kept is always the attributable one, so every user converts."""
    users = range(60)
    exp = write_exposures(tmp_path / "e.parquet", [(u, "a", 1_000, False) for u in users])
    purchases = [(u, 10 + u, 7.0) for u in users] + [(u, 1_050 + u, 3.0) for u in users]
    pur = write_purchases(tmp_path / "p.parquet", purchases)
    with Engine(Sources((exp,), (pur,))) as engine:
        (cell,) = conversion_cells(
            engine, "email", 200, LAST, ContributionBounds(5, 1, 10_000), A
        ).cells
    assert (cell.exposed, cell.converted, cell.revenue_cents) == (60, 60, 60 * 300)


def test_lift_splits_arms_by_holdout_flag(sources: Sources) -> None:
    with Engine(sources) as engine:
        cells = lift_cells(engine, "email", 100, WIDE, KEYS)
    assert [
        (c.campaign, c.exposed, c.exposed_converted, c.holdout, c.holdout_converted) for c in cells
    ] == [("a", 1, 1, 1, 1), ("b", 2, 1, 0, 0), ("c", 1, 0, 0, 0)]


def test_lift_with_spend_sums_clamped_revenue_per_arm(sources: Sources) -> None:
    """User 1's 1e9 purchase (clamped to 100.00) is in a's window, the 10.00 one in b's;
    user 2's NaN purchase counts 0 in a's holdout arm; user 4 was never exposed."""
    with Engine(sources) as engine:
        cells = lift_cells(engine, "email", 100, WIDE, KEYS)
    assert [
        (c.campaign, c.exposed_revenue_cents, c.holdout_revenue_cents, c.spend) for c in cells
    ] == [("a", 10_000, 0, 100.0), ("b", 1_000, 0, 50.0), ("c", 0, 0, None)]


def test_lift_revenue_counts_a_purchase_in_every_campaign_whose_window_holds_it(
    tmp_path: Path,
) -> None:
    """No attribution across campaigns, and at most P purchases per user."""
    exp = write_exposures(
        tmp_path / "e.parquet", [(1, "a", 100, False), (1, "b", 120, True), (2, "a", 100, False)]
    )
    pur = write_purchases(tmp_path / "p.parquet", [(1, 150, 5.0), (2, 150, 2.0), (2, 160, 4.0)])
    spend = tmp_path / "s.parquet"
    pq.write_table(pa.table({"campaign_id": ["a"], "spend": [10.0]}), spend)
    with Engine(Sources((exp,), (pur,), (spend,))) as engine:
        cells = lift_cells(engine, "email", 100, ContributionBounds(5, 1, 10_000), AB)
    by = {c.campaign: (c.exposed_revenue_cents, c.holdout_revenue_cents) for c in cells}
    # user 2 keeps one of its two purchases (P = 1): 200 or 400 cents
    assert by["b"] == (0, 500)
    assert by["a"][0] in (500 + 200, 500 + 400)


def test_lift_without_spend_computes_no_revenue(tmp_path: Path) -> None:
    exp = write_exposures(tmp_path / "e.parquet", [(1, "a", 100, False)])
    pur = write_purchases(tmp_path / "p.parquet", [(1, 150, 5.0)])
    with Engine(Sources((exp,), (pur,))) as engine:
        (cell,) = lift_cells(engine, "email", 100, WIDE, A)
    assert (cell.revenue, cell.exposed_revenue_cents, cell.spend) == (False, None, None)


def test_each_user_is_kept_in_at_most_max_campaigns(tmp_path: Path) -> None:
    rows = [(u, f"c{c:02d}", 100, False) for u in range(50) for c in range(10)]
    exp = write_exposures(tmp_path / "e.parquet", rows)
    pur = write_purchases(tmp_path / "p.parquet", [(u, 150, 1.0) for u in range(50)])
    bounds = ContributionBounds(3, 10, 10_000)
    with Engine(Sources((exp,), (pur,))) as engine:
        keys = GroupKeys(tuple(f"c{c:02d}" for c in range(10)))
        cells = conversion_cells(engine, "email", 100, LAST, bounds, keys).cells
        again = conversion_cells(engine, "email", 100, LAST, bounds, keys).cells
    assert sum(c.exposed for c in cells) == 50 * 3
    assert sum(c.converted for c in cells) == 50  # one purchase each, attributed once
    assert len({c.exposed for c in cells}) > 1  # the choice spreads over campaigns
    assert cells == again  # and is deterministic


def test_one_user_with_10000_purchases_adds_at_most_the_bound(tmp_path: Path) -> None:
    base_exp = [(u, "a", 0, False) for u in range(20)]
    base_pur = [(u, 10, 20.0) for u in range(20)]
    heavy = [(999, 10 + i % 1000, 1e6) for i in range(10_000)]
    bounds = ContributionBounds(1, 5, 50_000)  # 5 purchases of at most 500.00
    revenue = []
    for extra_exp, extra_pur in (([], []), ([(999, "a", 0, False)], heavy)):
        exp = write_exposures(tmp_path / "e.parquet", base_exp + extra_exp)
        pur = write_purchases(tmp_path / "p.parquet", base_pur + extra_pur)
        with Engine(Sources((exp,), (pur,)), EngineSettings(threads=1)) as engine:
            [cell] = conversion_cells(engine, "email", DAY, LAST, bounds, A).cells
        revenue.append(cell.revenue_cents)
    assert revenue[0] == 20 * 2_000
    assert revenue[1] - revenue[0] == 5 * 50_000


def test_missing_token_column_is_a_clear_error(sources: Sources) -> None:
    with Engine(sources) as engine, pytest.raises(RequestInvalid) as caught:
        overlap_counts(engine, "phone")
    assert caught.value.detail == (
        "dataset `exposures` has no column `token_phone`, which a query joined on `phone` needs"
    )


def test_unknown_family_is_refused_before_any_sql(sources: Sources) -> None:
    with Engine(sources) as engine, pytest.raises(ValueError, match="unknown token family"):
        overlap_counts(engine, 'email" OR 1=1 --')


@pytest.mark.parametrize(
    ("by", "detail"),
    [
        (
            "zip",
            "dataset `exposures` has no column `zip` and neither has dataset `purchases`,"
            " so it cannot be a grouping dimension",
        ),
        ("holdout", "column `holdout` cannot be a grouping dimension"),
        ("token_email", "column `token_email` cannot be a grouping dimension"),
        ("exposure_time", "column `exposure_time` cannot be a grouping dimension"),
        ("amount", "column `amount` cannot be a grouping dimension"),
    ],
)
def test_invalid_dimensions(sources: Sources, by: str, detail: str) -> None:
    with Engine(sources) as engine, pytest.raises(RequestInvalid) as caught:
        conversion_cells(engine, "email", 100, LAST, WIDE, WEB, by=by)
    assert caught.value.detail == detail


def test_lift_needs_the_holdout_column(tmp_path: Path) -> None:
    exp = tmp_path / "e.parquet"
    pq.write_table(
        pa.table(
            {
                "token_email": pa.array([b"x" * 32], pa.binary(32)),
                "campaign_id": ["a"],
                "exposure_time": [1],
            }
        ),
        exp,
    )
    pur = write_purchases(tmp_path / "p.parquet", [(1, 1, 1.0)])
    with Engine(Sources((exp,), (pur,))) as engine, pytest.raises(RequestInvalid, match="holdout"):
        lift_cells(engine, "email", 100, WIDE, A)


def test_memory_limit_and_spill_directory_are_applied(tmp_path: Path, sources: Sources) -> None:
    settings = EngineSettings("64MB", tmp_path / "spill", threads=1)
    with Engine(sources, settings) as engine:
        limit, temp, threads = engine.fetch(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory'),"
            " current_setting('threads')"
        )[0]
    assert (limit, Path(temp), threads) == ("61.0 MiB", tmp_path / "spill", 1)


@pytest.mark.parametrize("by", [None, "channel"])
def test_ranked_and_unranked_sql_agree_when_the_bound_cannot_bind(
    sources: Sources, by: str | None
) -> None:
    """With no more groups than the bound the window is skipped; the result is the same."""
    params = {"window": 100, "max_cells": 50, "max_purchases": 10, "cap_cents": 10_000}
    params |= key_params(WEB if by else KEYS)
    with Engine(sources) as engine:
        ranked, unranked = (
            engine.fetch(
                conversions_sql("token_email", by, Attribution.LAST_TOUCH, True, rank), params
            )
            for rank in (True, False)
        )
        lifts = [engine.fetch(lift_sql("token_email", rank), params) for rank in (True, False)]
    assert ranked == unranked
    assert lifts[0] == lifts[1]
