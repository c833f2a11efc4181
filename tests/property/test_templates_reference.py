"""Property: in exact mode, every template equals the pandas reference, and removing one
user moves each statistic by at most its declared sensitivity."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.engine import (
    Attribution,
    ContributionBounds,
    Engine,
    Sources,
    conversion_cells,
    lift_cells,
    overlap_counts,
)
from cleanroom.release import ConversionsRequest, ReleasePolicy, release
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
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sources(directory: Path, exposures: list, purchases: list) -> Sources:  # type: ignore[type-arg]
    return Sources(
        (ref.write_exposures(directory / "e.parquet", exposures),),
        (ref.write_purchases(directory / "p.parquet", purchases),),
    )


@SETTINGS
@given(TABLES, st.integers(0, 20), st.booleans(), st.booleans())
def test_templates_equal_reference(tables, window: int, last: bool, by_channel: bool) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    attribution = Attribution.LAST_TOUCH if last else Attribution.FIRST_TOUCH
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(_sources(Path(tmp), exposures, purchases)) as engine,
    ):
        counts = overlap_counts(engine, "email")
        cells = conversion_cells(
            engine, "email", window, attribution, WIDE, by="channel" if by_channel else None
        ).cells
        lifts = lift_cells(engine, "email", window, WIDE)
    assert (counts.matched, counts.exposures, counts.purchases) == ref.overlap(exposures, purchases)
    assert {
        (c.campaign, c.dimension): (c.exposed, c.converted, c.revenue_cents) for c in cells
    } == ref.conversions(exposures, purchases, window, last, 10_000, by_channel)
    assert {
        c.campaign: (c.exposed, c.exposed_converted, c.holdout, c.holdout_converted) for c in lifts
    } == ref.lift(exposures, purchases, window)


@SETTINGS
@given(TABLES, st.integers(0, 20))
def test_conversions_by_a_purchases_dimension_equal_reference(tables, window: int) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(_sources(Path(tmp), exposures, purchases)) as engine,
    ):
        found = conversion_cells(
            engine, "email", window, Attribution.LAST_TOUCH, WIDE, by="store_region"
        )
    assert {
        (c.campaign, c.dimension): (c.exposed, c.converted, c.revenue_cents) for c in found.cells
    } == ref.conversions_by_region(exposures, purchases, window, 10_000)


@SETTINGS
@given(TABLES, st.integers(0, 7))
def test_removing_one_user_moves_statistics_by_at_most_the_bounds(tables, victim: int) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    bounds = ContributionBounds(2, 3, 5_000)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for drop in (False, True):
            e = [r for r in exposures if not (drop and r[0] == victim)]
            p = [r for r in purchases if not (drop and r[0] == victim)]
            with Engine(_sources(Path(tmp), e or [(None, "a", 0, False)], p)) as engine:
                found = conversion_cells(engine, "email", 20, Attribution.LAST_TOUCH, bounds)
            results.append({c.campaign: c for c in found.cells})
    full, without = results
    for stat, sensitivity in (("exposed", 2), ("converted", 2), ("revenue_cents", 15_000)):
        assert _moved(full, without, stat) <= sensitivity, stat


def _moved(full: dict[Any, Any], without: dict[Any, Any], stat: str) -> int:
    """Total change of ``stat`` over the groups of ``full`` (a vanished group counts as 0)."""
    return sum(
        abs(getattr(full[k], stat) - (getattr(without[k], stat) if k in without else 0))
        for k in full
    )


@SETTINGS
@given(TABLES, st.integers(0, 7))
def test_one_user_moves_purchase_dimension_statistics_by_at_most_the_bounds(
    tables, victim: int
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
                    engine, "email", 20, Attribution.LAST_TOUCH, bounds, by="store_region"
                )
            results.append({(c.campaign, c.dimension): c for c in found.cells})
    full, without = results
    regions = len({k[1] for k in full})
    per_campaign = [{k[0]: c.exposed for k, c in r.items()} for r in results]
    # Group keys are public (docs/reference/privacy-guarantees.md): the bound is on the
    # groups present in both runs. Dropping the only purchaser can empty the dimension's
    # value list and with it every group, which changes keys, not released counts.
    shared = per_campaign[0].keys() & per_campaign[1].keys()
    moved = sum(abs(per_campaign[0][k] - per_campaign[1][k]) for k in shared)
    assert moved <= 2, "exposed"
    for stat, sensitivity in (("converted", min(3, 2 * regions)), ("revenue_cents", 15_000)):
        assert _moved(full, without, stat) <= sensitivity, stat


@SETTINGS
@given(TABLES, st.integers(1, 6))
def test_no_released_row_has_a_true_user_count_below_k(tables, k: int) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    policy = ReleasePolicy(Fraction(1, 2), k, 10, 1000, Fraction(100), remainder=True)
    with tempfile.TemporaryDirectory() as tmp:
        sources = _sources(Path(tmp), exposures, purchases)
        with Engine(sources) as engine:
            true = {
                c.campaign: c.exposed
                for c in conversion_cells(
                    engine, "email", 20, Attribution.LAST_TOUCH, policy.bounds()
                ).cells
            }
        result = release(sources, ConversionsRequest("email", 20), policy)
    released = [r for r in result.rows if not r.suppressed and not r.remainder]
    assert all(true[str(r.key[0])] >= k for r in released)
    folded = sum(true[str(r.key[0])] for r in result.rows if r.suppressed and not r.remainder)
    assert all(folded >= k for r in result.rows if r.remainder and not r.suppressed)


def test_exact_mode_pipeline_matches_reference(tmp_path: Path) -> None:
    exposures = [(u, "a", 0, False) for u in range(30)] + [(u, "b", 5, False) for u in range(9)]
    purchases = [(u, 3, 10.0) for u in range(0, 30, 3)]
    policy = ReleasePolicy(Fraction(1), 10, 10, 1000, Fraction(100))
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
