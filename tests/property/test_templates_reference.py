"""Property: in exact mode, every template equals the pandas reference over declared
group keys, removing one user moves each statistic by at most its declared sensitivity,
and the rows of a result are the declared keys whatever the data holds."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.engine import (
    Attribution,
    ContributionBounds,
    Engine,
    GroupKeys,
    Sources,
    conversion_cells,
    lift_cells,
    overlap_counts,
)
from cleanroom.release import ConversionsRequest, LiftRequest, ReleasePolicy, release
from cleanroom.release._testing import exact_mode
from tests.unit.cleanroom.engine import reference as ref

USERS = st.one_of(st.none(), st.integers(0, 7))
EXPOSURE = st.tuples(USERS, st.sampled_from(["a", "b", "c"]), st.integers(0, 40), st.booleans())
PURCHASE = st.tuples(
    USERS,
    st.integers(0, 50),
    st.one_of(st.floats(-5, 200), st.sampled_from([float("nan"), float("inf"), -float("inf")])),
)
TABLES = st.tuples(st.lists(EXPOSURE, min_size=1, max_size=25), st.lists(PURCHASE, max_size=25))
WIDE = ContributionBounds(10, 1000, 10_000)
CAMPAIGNS = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True)


@st.composite
def group_keys(draw: st.DrawFn, values: list[str] | None = None) -> GroupKeys:
    """Declared keys: some of the data's campaigns (and one it lacks), and some of the
    dimension's values (and one it lacks), with or without ``other``."""
    campaigns = tuple(draw(CAMPAIGNS))
    if values is None:
        return GroupKeys(campaigns)
    declared = draw(st.lists(st.sampled_from(values), max_size=len(values), unique=True))
    other = draw(st.booleans()) or not declared
    return GroupKeys(campaigns, tuple(sorted(declared)), other)


CHANNEL_KEYS = group_keys(["tv", "web", "radio"])
REGION_KEYS = group_keys(["north", "south", "east"])
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sources(directory: Path, exposures: list, purchases: list) -> Sources:  # type: ignore[type-arg]
    return Sources(
        (ref.write_exposures(directory / "e.parquet", exposures),),
        (ref.write_purchases(directory / "p.parquet", purchases),),
    )


@SETTINGS
@given(TABLES, st.integers(0, 20), st.booleans(), group_keys(), CHANNEL_KEYS)
def test_templates_equal_reference(tables, window: int, last: bool, plain, by) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    attribution = Attribution.LAST_TOUCH if last else Attribution.FIRST_TOUCH
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(_sources(Path(tmp), exposures, purchases)) as engine,
    ):
        counts = overlap_counts(engine, "email")
        cells = conversion_cells(engine, "email", window, attribution, WIDE, plain).cells
        by_channel = conversion_cells(engine, "email", window, attribution, WIDE, by, "channel")
        lifts = lift_cells(engine, "email", window, WIDE, plain)
    assert (counts.matched, counts.exposures, counts.purchases) == ref.overlap(exposures, purchases)
    assert {
        (c.campaign, c.dimension): (c.exposed, c.converted, c.revenue_cents) for c in cells
    } == ref.conversions(exposures, purchases, window, last, 10_000, plain)
    assert {
        (c.campaign, c.dimension): (c.exposed, c.converted, c.revenue_cents)
        for c in by_channel.cells
    } == ref.conversions(exposures, purchases, window, last, 10_000, by, by_channel=True)
    assert {
        c.campaign: (c.exposed, c.exposed_converted, c.holdout, c.holdout_converted) for c in lifts
    } == ref.lift(exposures, purchases, window, plain)


@SETTINGS
@given(TABLES, st.integers(0, 20), group_keys())
def test_lift_revenue_equals_reference(tables, window: int, keys) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    with tempfile.TemporaryDirectory() as tmp:
        spend = Path(tmp) / "s.parquet"
        pq.write_table(pa.table({"campaign_id": ["a", "b"], "spend": [3.0, 4.0]}), spend)
        plain = _sources(Path(tmp), exposures, purchases)
        with Engine(Sources(plain.exposures, plain.purchases, (spend,))) as engine:
            lifts = lift_cells(engine, "email", window, WIDE, keys)
    assert {
        c.campaign: (c.exposed_revenue_cents, c.holdout_revenue_cents) for c in lifts
    } == ref.lift_revenue(exposures, purchases, window, 10_000, keys)
    assert {c.campaign: c.spend for c in lifts} == {
        c: {"a": 3.0, "b": 4.0}.get(c) for c in keys.campaigns
    }


@SETTINGS
@given(TABLES, st.integers(0, 20), st.integers(1, 3), group_keys())
def test_conversions_and_lift_agree_on_exposed_users(tables, window: int, c: int, keys) -> None:  # type: ignore[no-untyped-def]
    """Same arms (holdout excluded from conversions), same kept campaigns under any C;
    with one campaign and no cap binding, the same converted users too."""
    exposures, purchases = tables
    bounds = ContributionBounds(c, 1000, 10_000)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(_sources(Path(tmp), exposures, purchases)) as engine,
    ):
        conversions = conversion_cells(
            engine, "email", window, Attribution.LAST_TOUCH, bounds, keys
        )
        lifts = lift_cells(engine, "email", window, bounds, keys)
    assert [x.exposed for x in conversions.cells] == [x.exposed for x in lifts]
    if len(lifts) == 1:
        assert conversions.cells[0].converted == lifts[0].exposed_converted


@SETTINGS
@given(TABLES, st.integers(0, 20), REGION_KEYS)
def test_conversions_by_a_purchases_dimension_equal_reference(tables, window: int, keys) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(_sources(Path(tmp), exposures, purchases)) as engine,
    ):
        found = conversion_cells(
            engine, "email", window, Attribution.LAST_TOUCH, WIDE, keys, by="store_region"
        )
    assert {
        (c.campaign, c.dimension): (c.exposed, c.converted, c.revenue_cents) for c in found.cells
    } == ref.conversions_by_region(exposures, purchases, window, 10_000, keys)


@SETTINGS
@given(TABLES, st.integers(0, 7), group_keys())
def test_removing_one_user_moves_statistics_by_at_most_the_bounds(
    tables, victim: int, keys
) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    bounds = ContributionBounds(2, 3, 5_000)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for drop in (False, True):
            e = [r for r in exposures if not (drop and r[0] == victim)]
            p = [r for r in purchases if not (drop and r[0] == victim)]
            with Engine(_sources(Path(tmp), e or [(None, "a", 0, False)], p)) as engine:
                found = conversion_cells(engine, "email", 20, Attribution.LAST_TOUCH, bounds, keys)
            results.append({c.campaign: c for c in found.cells})
    full, without = results
    assert full.keys() == without.keys() == set(keys.campaigns)
    for stat, sensitivity in (("exposed", 2), ("converted", 2), ("revenue_cents", 15_000)):
        assert _moved(full, without, stat) <= sensitivity, stat
    # the released histogram: cells (converted, not converted) per group move by at most
    # min(C, G) in total (policies.calibration.template_statistics)
    cells = sum(
        abs(full[k].converted - without[k].converted)
        + abs((full[k].exposed - full[k].converted) - (without[k].exposed - without[k].converted))
        for k in full
    )
    assert cells <= min(2, len(keys.campaigns))


@SETTINGS
@given(TABLES, st.integers(0, 7), group_keys())
def test_removing_one_user_moves_the_lift_histogram_by_at_most_min_c_g(
    tables, victim: int, keys
) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    bounds = ContributionBounds(2, 3, 5_000)
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for drop in (False, True):
            e = [r for r in exposures if not (drop and r[0] == victim)]
            p = [r for r in purchases if not (drop and r[0] == victim)]
            with Engine(_sources(Path(tmp), e or [(None, "a", 0, False)], p)) as engine:
                lifts = lift_cells(engine, "email", 20, bounds, keys)
            found.append(
                [
                    v
                    for c in lifts
                    for v in (
                        c.exposed_converted,
                        c.exposed - c.exposed_converted,
                        c.holdout_converted,
                        c.holdout - c.holdout_converted,
                    )
                ]
            )
    moved = sum(abs(a - b) for a, b in zip(*found, strict=True))
    assert moved <= min(2, len(keys.campaigns))


@SETTINGS
@given(TABLES, st.integers(0, 7), group_keys())
def test_removing_one_user_moves_lift_revenue_by_at_most_min_c_g_p_cap(
    tables, victim: int, keys
) -> None:  # type: ignore[no-untyped-def]
    """The lift revenue vector (exposed, holdout per campaign) moves by at most
    min(C, G) x P x cap (policies.calibration: lift_revenue_cents)."""
    exposures, purchases = tables
    bounds = ContributionBounds(2, 3, 5_000)
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        spend = Path(tmp) / "s.parquet"
        pq.write_table(pa.table({"campaign_id": ["a"], "spend": [1.0]}), spend)
        for drop in (False, True):
            e = [r for r in exposures if not (drop and r[0] == victim)]
            p = [r for r in purchases if not (drop and r[0] == victim)]
            plain = _sources(Path(tmp), e or [(None, "a", 0, False)], p)
            with Engine(Sources(plain.exposures, plain.purchases, (spend,))) as engine:
                lifts = lift_cells(engine, "email", 20, bounds, keys)
            found.append(
                [v for c in lifts for v in (c.exposed_revenue_cents, c.holdout_revenue_cents)]
            )
    moved = sum(abs(a - b) for a, b in zip(*found, strict=True))
    assert moved <= min(2, len(keys.campaigns)) * 3 * 5_000


def _moved(full: dict[Any, Any], without: dict[Any, Any], stat: str) -> int:
    """Total change of ``stat`` over the groups (the same declared groups in both)."""
    return sum(abs(getattr(full[k], stat) - getattr(without[k], stat)) for k in full)


@SETTINGS
@given(TABLES, st.integers(0, 7), REGION_KEYS)
def test_one_user_moves_purchase_dimension_statistics_by_at_most_the_bounds(
    tables, victim: int, keys
) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    bounds = ContributionBounds(2, 3, 5_000)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for drop in (False, True):
            e = [r for r in exposures if not (drop and r[0] == victim)]
            p = [r for r in purchases if not (drop and r[0] == victim)]
            with Engine(_sources(Path(tmp), e or [(None, "a", 0, False)], p)) as engine:
                found = conversion_cells(
                    engine, "email", 20, Attribution.LAST_TOUCH, bounds, keys, by="store_region"
                )
            results.append({(c.campaign, c.dimension): c for c in found.cells})
    full, without = results
    # The groups are the declared keys, so both runs have the same ones.
    assert full.keys() == without.keys()
    regions = len(keys.dimension_keys())
    per_campaign = [{k[0]: c.exposed for k, c in r.items()} for r in results]
    moved = sum(abs(per_campaign[0][k] - per_campaign[1][k]) for k in per_campaign[0])
    assert moved <= 2, "exposed"
    for stat, sensitivity in (("converted", min(3, 2 * regions)), ("revenue_cents", 15_000)):
        assert _moved(full, without, stat) <= sensitivity, stat


@SETTINGS
@given(TABLES, st.integers(1, 6), group_keys(), st.booleans())
def test_result_rows_are_the_declared_keys_whatever_the_data(tables, k: int, keys, rem) -> None:  # type: ignore[no-untyped-def]
    """Which rows a result has never depends on the data: one per declared campaign, in
    declaration order (a remainder row, when asked for, appears when a noisy count fell
    below k: post-processing of the noisy counts)."""
    exposures, purchases = tables
    policy = ReleasePolicy(Fraction(1, 2), k, 10, 1000, Fraction(100), remainder=rem, keys=keys)
    with tempfile.TemporaryDirectory() as tmp:
        result = release(
            _sources(Path(tmp), exposures, purchases), ConversionsRequest("email", 20), policy
        )
    plain = [r.key for r in result.rows if not r.remainder]
    assert plain == [(c,) for c in keys.campaigns]
    assert result.rows_suppressed == sum(r.suppressed for r in result.rows)


def test_exact_mode_pipeline_matches_reference(tmp_path: Path) -> None:
    exposures = [(u, "a", 0, False) for u in range(30)] + [(u, "b", 5, False) for u in range(9)]
    purchases = [(u, 3, 10.0) for u in range(0, 30, 3)]
    policy = ReleasePolicy(Fraction(1), 10, 10, 1000, Fraction(100), keys=GroupKeys(("a", "b")))
    with exact_mode():
        result = release(
            _sources(tmp_path, exposures, purchases), ConversionsRequest("email", 10), policy
        )
    assert result.exact
    a, b = result.rows
    assert a.values["exposed_users"] is not None and a.values["exposed_users"].value == 30
    assert a.values["converted_users"] is not None and a.values["converted_users"].value == 10
    assert a.values["revenue"] is not None and a.values["revenue"].value == 100.0
    assert b.suppressed and result.rows_suppressed == 1


def test_exact_mode_lift_with_spend_matches_reference(tmp_path: Path) -> None:
    """Exposed 40 users (12 buy 10.00), holdout 20 (3 buy 10.00): incremental revenue
    120 - 30 x 40 / 20 = 60, ROAS 60 / 30 = 2; the mechanisms split epsilon in two."""
    exposures = [(u, "a", 0, False) for u in range(40)] + [(u, "a", 0, True) for u in range(40, 60)]
    purchases = [(u, 3, 10.0) for u in range(12)] + [(u, 3, 10.0) for u in range(40, 43)]
    spend = tmp_path / "s.parquet"
    pq.write_table(pa.table({"campaign_id": ["a"], "spend": [30.0]}), spend)
    policy = ReleasePolicy(Fraction(1), 10, 10, 1000, Fraction(100), keys=GroupKeys(("a",)))
    plain = _sources(tmp_path, exposures, purchases)
    with exact_mode():
        result = release(
            Sources(plain.exposures, plain.purchases, (spend,)), LiftRequest("email", 10), policy
        )
    (row,) = result.rows
    truth = ref.lift_revenue(exposures, purchases, 10, 10_000, GroupKeys(("a",)))["a"]
    values = {name: None if e is None else e.value for name, e in row.values.items()}
    assert (values["exposed_revenue"], values["holdout_revenue"]) == (
        truth[0] / 100,
        truth[1] / 100,
    )
    assert values["incremental_revenue"] == 120.0 - 30.0 * 40 / 20
    assert values["spend"] == 30.0 and values["incremental_roas"] == 2.0
    assert [(m.statistic, m.epsilon) for m in result.mechanisms] == [
        ("lift_cells", Fraction(1, 2)),
        ("lift_revenue_cents", Fraction(1, 2)),
    ]
    assert "exposed_users / holdout_users" in result.derived["incremental_revenue"]
