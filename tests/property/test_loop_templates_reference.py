"""Property: the closed-loop templates (reach_frequency, time_to_conversion, funnel) equal
the pandas reference in small worlds where users exceed every bound (more campaigns than
C, more purchases than P, more exposures than the frequency cap); removing one user
moves each released histogram by at most its declared sensitivity; in exact mode the
released rows are the reference's numbers, derived as documented."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from cleanroom.release import (
    FunnelRequest,
    ReachFrequencyRequest,
    ReleasePolicy,
    TimeToConversionRequest,
    release,
)
from cleanroom.release._testing import exact_mode
from policies import Template
from policies.calibration import template_statistics
from tests.unit.cleanroom.engine import loop_reference as lref
from tests.unit.cleanroom.engine import reference as ref

USERS = st.integers(-1, 3).map(lambda u: None if u < 0 else u)
# few users, many rows close in time: most users exceed C campaigns, P purchases and
# the frequency cap (the mutations +1 on each bound fail these tests)
EXPOSURE = st.tuples(
    USERS, st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 30), st.integers(0, 9)
).map(lambda r: (r[0], r[1], r[2], r[3] == 0))
PURCHASE = st.tuples(USERS, st.integers(0, 45), st.floats(0, 200))
TABLES = st.tuples(
    st.lists(EXPOSURE, min_size=4, max_size=40), st.lists(PURCHASE, min_size=4, max_size=30)
)
CAMPAIGNS = st.lists(st.sampled_from("abcde"), min_size=1, max_size=4, unique=True)
KEYS = CAMPAIGNS.map(lambda c: GroupKeys(tuple(c)))
FREQUENCY = st.lists(st.integers(2, 6), max_size=3, unique=True).map(lambda e: (1, *sorted(e)))
DELAYS = st.lists(st.integers(1, 19), max_size=3, unique=True).map(lambda e: tuple(sorted(e)))
BOUND = st.integers(1, 3)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sources(directory: Path, exposures: list, purchases: list) -> Sources:  # type: ignore[type-arg]
    return Sources(
        (ref.write_exposures(directory / "e.parquet", exposures or [(None, "a", 0, False)]),),
        (ref.write_purchases(directory / "p.parquet", purchases),),
    )


@SETTINGS
@given(TABLES, st.integers(0, 20), KEYS, st.integers(1, 3), FREQUENCY, st.integers(0, 3))
def test_reach_frequency_equals_reference(tables, window, keys, c, buckets, extra) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    cap = buckets[-1] + extra
    bounds = ContributionBounds(c, 1, 100)
    with tempfile.TemporaryDirectory() as tmp, Engine(_sources(Path(tmp), *tables)) as engine:
        cells = reach_frequency_cells(engine, "email", window, bounds, keys, buckets, cap)
    assert {(x.campaign, x.bucket): (x.users, x.converted) for x in cells} == (
        lref.reach_frequency(exposures, purchases, window, keys, c, buckets, cap)
    )
    assert [(x.campaign, x.bucket) for x in cells] == [
        (k, b) for k in keys.campaigns for b in range(len(buckets))
    ]


@SETTINGS
@given(TABLES, st.integers(20, 30), st.booleans(), KEYS, st.integers(1, 3), BOUND, DELAYS)
def test_time_to_conversion_equals_reference(tables, window, last, keys, c, p, delays) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    attribution = Attribution.LAST_TOUCH if last else Attribution.FIRST_TOUCH
    bounds = ContributionBounds(c, p, 5_000)
    with tempfile.TemporaryDirectory() as tmp, Engine(_sources(Path(tmp), *tables)) as engine:
        cells = time_to_conversion_cells(engine, "email", window, attribution, bounds, keys, delays)
    assert {(x.campaign, x.bucket): x.purchases for x in cells} == lref.time_to_conversion(
        exposures, purchases, window, last, keys, c, p, 5_000, delays
    )


@SETTINGS
@given(TABLES, st.integers(0, 20), st.integers(1, 30), KEYS, st.integers(1, 3))
def test_funnel_equals_reference(tables, window, horizon, keys, c) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    bounds = ContributionBounds(c, 1, 100)
    with tempfile.TemporaryDirectory() as tmp, Engine(_sources(Path(tmp), *tables)) as engine:
        cells = funnel_cells(engine, "email", window, horizon, bounds, keys)
    assert {x.campaign: x.deepest for x in cells} == lref.funnel(
        exposures, purchases, window, horizon, keys, c
    )


def _without(tables: tuple[list, list], victim: int) -> tuple[list, list]:  # type: ignore[type-arg]
    exposures, purchases = tables
    return [r for r in exposures if r[0] != victim], [r for r in purchases if r[0] != victim]


def _sensitivity(template: Template, bounds: ContributionBounds, groups: int) -> int:
    (stat,) = template_statistics(
        template,
        Fraction(1),
        max_campaigns=bounds.max_campaigns_per_user,
        max_purchases=bounds.max_purchases_per_user,
        cap_cents=bounds.amount_cap_cents,
        groups=groups,
    )
    return stat.sensitivity


def _histograms(tables, keys, bounds, buckets, delays):  # type: ignore[no-untyped-def]
    """The three released histograms (true cells, in release order)."""
    with tempfile.TemporaryDirectory() as tmp, Engine(_sources(Path(tmp), *tables)) as engine:
        freq = reach_frequency_cells(engine, "email", 20, bounds, keys, buckets, buckets[-1])
        delay = time_to_conversion_cells(
            engine, "email", 20, Attribution.LAST_TOUCH, bounds, keys, delays
        )
        funnel = funnel_cells(engine, "email", 20, 15, bounds, keys)
    return {
        Template.REACH_FREQUENCY: [v for x in freq for v in (x.converted, x.users - x.converted)],
        Template.TIME_TO_CONVERSION: [x.purchases for x in delay],
        Template.FUNNEL: [v for x in funnel for v in x.deepest],
    }


@SETTINGS
@given(TABLES, st.integers(0, 5), KEYS, st.integers(1, 3), st.integers(1, 3), FREQUENCY, DELAYS)
def test_removing_one_user_moves_each_histogram_by_at_most_its_sensitivity(
    tables, victim, keys, c, p, buckets, delays
) -> None:  # type: ignore[no-untyped-def]
    bounds = ContributionBounds(c, p, 5_000)
    full = _histograms(tables, keys, bounds, buckets, delays)
    without = _histograms(_without(tables, victim), keys, bounds, buckets, delays)
    for template, cells in full.items():
        moved = sum(abs(a - b) for a, b in zip(cells, without[template], strict=True))
        assert moved <= _sensitivity(template, bounds, len(keys.campaigns)), template


def test_sensitivities_are_the_stated_ones() -> None:
    """min(C, campaigns) for the two per-user histograms, P for the purchases one."""
    bounds = ContributionBounds(3, 4, 100)
    assert _sensitivity(Template.REACH_FREQUENCY, bounds, 2) == 2
    assert _sensitivity(Template.REACH_FREQUENCY, bounds, 7) == 3
    assert _sensitivity(Template.FUNNEL, bounds, 2) == 2
    assert _sensitivity(Template.FUNNEL, bounds, 7) == 3
    assert _sensitivity(Template.TIME_TO_CONVERSION, bounds, 1) == 4
    assert _sensitivity(Template.TIME_TO_CONVERSION, bounds, 9) == 4


def _policy(keys: GroupKeys, k: int = 2) -> ReleasePolicy:
    return ReleasePolicy(Fraction(1), k, 2, 2, Fraction(50), keys=keys)


@SETTINGS
@given(TABLES, KEYS, FREQUENCY, DELAYS)
def test_exact_releases_are_the_reference_numbers(tables, keys, buckets, delays) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    policy = _policy(keys)
    labels = tuple(f"b{i}" for i in range(len(delays) + 1))
    with tempfile.TemporaryDirectory() as tmp, exact_mode():
        sources = _sources(Path(tmp), *tables)
        freq = release(sources, ReachFrequencyRequest("email", 20, buckets, 8), policy)
        delay = release(sources, TimeToConversionRequest("email", 20, delays, labels), policy)
        funnel = release(sources, FunnelRequest("email", 20, 15), policy)
    f_ref = lref.reach_frequency(exposures, purchases, 20, keys, 2, buckets, 8)
    for row, ((users, converted)) in zip(freq.rows, f_ref.values(), strict=True):
        assert row.suppressed == (users < 2)
        if not row.suppressed:
            assert (row.values["users"].value, row.values["converted"].value) == (users, converted)  # type: ignore[union-attr]
            rate = row.values["conversion_rate"]
            assert rate is not None and rate.value == converted / users
            assert rate.low <= rate.value <= rate.high
    d_ref = lref.time_to_conversion(exposures, purchases, 20, True, keys, 2, 2, 5_000, delays)
    for row, count in zip(delay.rows, d_ref.values(), strict=True):
        total = sum(v for (c, _), v in d_ref.items() if c == row.key[0])
        assert row.suppressed == (total < 2)
        if not row.suppressed:
            assert row.values["purchases"].value == count  # type: ignore[union-attr]
            assert row.values["share"].value == count / total  # type: ignore[union-attr]
    u_ref = lref.funnel(exposures, purchases, 20, 15, keys, 2)
    for row, deepest in zip(funnel.rows, u_ref.values(), strict=True):
        stages = [sum(deepest[i:]) for i in range(4)]
        assert row.suppressed == (stages[0] < 2)
        if not row.suppressed:
            got = [row.values[s].value for s in ("exposed", "matched", "converted", "repeated")]  # type: ignore[union-attr]
            assert got == stages
            if stages[1] > 0:
                assert row.values["conversion_rate"].value == stages[2] / stages[1]  # type: ignore[union-attr]
