"""Property: in exact mode, fractional-credit ``conversions`` equals the pandas reference
under every model (small hypothesis worlds: ties, several touches in a window, purchases
with no touch, users over the bounds), one user moves each released statistic by at
most its sensitivity, and a purchase never gives more than 1 credit or its cents."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.engine import (
    Attribution,
    ContributionBounds,
    CreditSettings,
    Engine,
    GroupKeys,
    Sources,
    conversion_cells,
    credit_cells,
)
from policies import MICRO
from policies.calibration import template_statistics
from tests.property.test_templates_reference import CHANNEL_KEYS, REGION_KEYS, group_keys
from tests.unit.cleanroom.engine import reference as ref
from tests.unit.cleanroom.engine import reference_attribution as mta

USERS = st.sampled_from([0, 1, 2, 3, None])
# few users, times and campaigns: ties in time (and in time and campaign) are common;
# the last element marks a touch of the milestone stage (`lead`)
HOLDOUT = st.sampled_from([False, False, False, False, True])
EXPOSURE = st.tuples(
    USERS, st.sampled_from(["a", "b", "c"]), st.integers(0, 4), HOLDOUT, st.booleans()
)
PURCHASE = st.tuples(
    USERS, st.integers(2, 10), st.one_of(st.floats(-5, 200), st.just(float("nan")))
)
TABLES = st.tuples(
    st.lists(EXPOSURE, min_size=4, max_size=25), st.lists(PURCHASE, min_size=1, max_size=12)
)
WIDE = ContributionBounds(10, 1000, 10_000)
MODELS = tuple(Attribution)
WEIGHTS = st.tuples(st.integers(1, 500_000), st.integers(1, 500_000))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sources(directory: Path, exposures: list, purchases: list) -> Sources:  # type: ignore[type-arg]
    return Sources(
        (mta.write_exposures(directory / "e.parquet", exposures),),
        (ref.write_purchases(directory / "p.parquet", purchases),),
    )


def _settings(weights: tuple[int, int], half_life: int) -> CreditSettings:
    return CreditSettings(
        MODELS, weights[0], weights[1], half_life, stage_column="stage", milestone="lead"
    )


def _run(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    credit: CreditSettings,
    bounds: ContributionBounds,
    keys: GroupKeys,
    by: str | None = None,
) -> dict[tuple[str, str | None], tuple[int, list[tuple[int, int]]]]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(_sources(Path(tmp), exposures, purchases)) as engine,
    ):
        found = credit_cells(engine, "email", window, credit, bounds, keys, by=by)
    return {(c.campaign, c.dimension): (c.exposed, list(c.credits)) for c in found.cells}


def _assert_equal(got: dict, want: dict) -> None:  # type: ignore[type-arg]
    """Exact for every model but time_decay, whose float weights may round a group's
    share one micro-credit (and so one cent) the other way per purchase."""
    assert got.keys() == want.keys()
    decay = MODELS.index(Attribution.TIME_DECAY)
    for key, (exposed, per_model) in got.items():
        ref_exposed, ref_models = want[key]
        assert exposed == ref_exposed, key
        for m, (mine, theirs) in enumerate(zip(per_model, ref_models, strict=True)):
            if m != decay:
                assert mine == theirs, (key, MODELS[m])
            else:
                assert abs(mine[0] - theirs[0]) <= 20 and abs(mine[1] - theirs[1]) <= 20, key


@SETTINGS
@given(TABLES, st.integers(0, 8), group_keys(), WEIGHTS, st.integers(1, 9))
def test_every_model_equals_the_reference(tables, window, keys, weights, half) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    got = _run(exposures, purchases, window, _settings(weights, half), WIDE, keys)
    want = mta.credits(
        exposures, purchases, window, MODELS, 10_000, keys, weights=weights, half_life=half
    )
    _assert_equal(got, want)


@SETTINGS
@given(TABLES, st.integers(0, 8), CHANNEL_KEYS, st.integers(1, 9))
def test_every_model_by_an_exposures_dimension_equals_the_reference(
    tables, window, keys, half
) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    credit = _settings((300_000, 500_000), half)
    got = _run(exposures, purchases, window, credit, WIDE, keys, by="channel")
    want = mta.credits(
        exposures, purchases, window, MODELS, 10_000, keys, by="channel",
        weights=(300_000, 500_000), half_life=half,
    )  # fmt: skip
    _assert_equal(got, want)


@SETTINGS
@given(TABLES, st.integers(0, 8), REGION_KEYS)
def test_every_model_by_a_purchases_dimension_equals_the_reference(tables, window, keys) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    got = _run(exposures, purchases, window, _settings((400_000, 400_000), 4), WIDE, keys,
               by="store_region")  # fmt: skip
    want = mta.credits(exposures, purchases, window, MODELS, 10_000, keys, by="store_region",
                       half_life=4)  # fmt: skip
    _assert_equal(got, want)


@SETTINGS
@given(TABLES, st.integers(0, 8), group_keys(), st.integers(2, 3), st.integers(1, 2))
def test_single_touch_credit_equals_the_conversions_template_under_any_bounds(
    tables, window, keys, c, p
) -> None:  # type: ignore[no-untyped-def]
    """Users over the bounds: last/first touch credit is the purchases (and cents) the
    conversions template gives each group; every model shares out the same kept
    purchases, each at most 1 credit and its cents, never more."""
    exposures, purchases = tables
    bounds = ContributionBounds(c, p, 5_000)
    got = _run(exposures, purchases, window, _settings((400_000, 400_000), 3), bounds, keys)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(_sources(Path(tmp), exposures, purchases)) as engine,
    ):
        for index, single in ((0, Attribution.FIRST_TOUCH), (1, Attribution.LAST_TOUCH)):
            plain = conversion_cells(engine, "email", window, single, bounds, keys).cells
            assert [got[(x.campaign, None)][1][index][1] for x in plain] == [
                x.revenue_cents for x in plain
            ]
            assert [x.exposed for x in plain] == [got[(x.campaign, None)][0] for x in plain]
    kept = sum(v[1][1][0] for v in got.values()) // MICRO  # last touch: whole credits
    total_cents = sum(v[1][1][1] for v in got.values())
    touched_groups = len(got)
    for m in range(len(MODELS)):
        credit = sum(v[1][m][0] for v in got.values())
        cents = sum(v[1][m][1] for v in got.values())
        assert kept * MICRO - kept * touched_groups <= credit <= kept * MICRO
        assert cents <= total_cents


def _released(result: dict, stat: str, m: int) -> list[int]:  # type: ignore[type-arg]
    if stat == "exposed":
        return [v[0] for v in result.values()]
    return [v[1][m][0 if stat == "micro" else 1] for v in result.values()]


@SETTINGS
@given(TABLES, st.integers(0, 5), group_keys(), st.sampled_from([None, "channel", "store_region"]))
def test_removing_one_user_moves_each_statistic_by_at_most_its_sensitivity(
    tables, victim, keys, by
) -> None:  # type: ignore[no-untyped-def]
    exposures, purchases = tables
    if by == "channel":
        keys = GroupKeys(keys.campaigns, ("tv",), other=True)
    elif by == "store_region":
        keys = GroupKeys(keys.campaigns, ("north",), other=False)
    bounds = ContributionBounds(2, 3, 5_000)
    credit = _settings((250_000, 450_000), 2)
    runs = []
    for drop in (False, True):
        e = [r for r in exposures if not (drop and r[0] == victim)] or [
            (None, "a", 0, False, False)
        ]
        p = [r for r in purchases if not (drop and r[0] == victim)]
        runs.append(_run(e, p, 10, credit, bounds, keys, by=by))
    full, without = runs
    assert full.keys() == without.keys()
    groups = len(keys.campaigns) if by != "channel" else keys.cell_count()
    stats = template_statistics(
        "conversions", 1, max_campaigns=2, max_purchases=3, cap_cents=5_000, groups=groups,
        credit_models=[str(m) for m in MODELS],
    )  # fmt: skip
    sensitivity = {s.name: s.sensitivity for s in stats}
    if by == "store_region":  # exposed users are per campaign, repeated on its rows
        per_campaign = [{k[0]: v[0] for k, v in r.items()} for r in runs]
        moved = sum(abs(per_campaign[0][c] - per_campaign[1][c]) for c in per_campaign[0])
    else:
        pairs = zip(_released(full, "exposed", 0), _released(without, "exposed", 0), strict=True)
        moved = sum(abs(a - b) for a, b in pairs)
    assert moved <= sensitivity["exposed"] == min(2, groups)
    for m, model in enumerate(MODELS):
        for stat, name in (("micro", "credited_micro"), ("cents", "credited_revenue_cents")):
            a, b = _released(full, stat, m), _released(without, stat, m)
            moved = sum(abs(x - y) for x, y in zip(a, b, strict=True))
            assert moved <= sensitivity[f"{name}:{model}"], (model, stat)
    assert sensitivity["credited_micro:linear"] == 3 * MICRO
    assert sensitivity["credited_revenue_cents:linear"] == 3 * 5_000
