"""Datasets prepared at publish time give the very results of the files as uploaded.

The templates read ``_user_<family>`` and the exposures' first-row flags where the views
have them (:func:`cleanroom.engine.bound.precomputed_users`) and compute the same from
the token otherwise; both forms of one seeded world, many configurations.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.engine import (
    Attribution,
    ContributionBounds,
    CreditSettings,
    Engine,
    EngineSettings,
    GroupKeys,
    Sources,
    conversion_cells,
    credit_cells,
    funnel_cells,
    lift_cells,
    overlap_counts,
    reach_frequency_cells,
    time_to_conversion_cells,
)
from cleanroom.engine.bound import FIRSTS, precomputed_users
from cleanroom.uploads.prepare import prepare_for_queries
from protocols import token_field
from tests.unit.cleanroom.engine.reference import write_exposures, write_purchases

CAMPAIGNS = ("a", "b", "c", "d")


def _world(directory: Path, seed: int) -> Sources:
    rng = random.Random(seed)  # noqa: S311 -- a seeded test world, not a secret
    users = [None, *range(1, 40)]
    exposures = [
        (rng.choice(users), rng.choice(CAMPAIGNS), rng.randrange(0, 500), rng.random() < 0.2)
        for _ in range(300)
    ]
    purchases = [
        (rng.choice(users), rng.randrange(0, 600), round(rng.uniform(-5, 400), 2))
        for _ in range(300)
    ]
    return Sources(
        (write_exposures(directory / "e.parquet", exposures),),
        (write_purchases(directory / "p.parquet", purchases),),
    )


def _prepared(sources: Sources, directory: Path) -> Sources:
    directory.mkdir()
    copies = []
    for path in (*sources.exposures, *sources.purchases):
        copy = directory / path.name
        shutil.copyfile(path, copy)
        assert prepare_for_queries(copy)
        copies.append(copy)
    return Sources((copies[0],), (copies[1],))


def _all_results(sources: Sources, bounds: ContributionBounds, keys: GroupKeys) -> list[object]:
    with Engine(sources, EngineSettings(threads=1)) as engine:
        results: list[object] = [
            conversion_cells(engine, "email", 100, attribution, bounds, keys)
            for attribution in (Attribution.LAST_TOUCH, Attribution.FIRST_TOUCH)
        ]
        for by, values in (("channel", ("tv",)), ("store_region", ("north",))):
            with_values = GroupKeys(keys.campaigns, values, other=True)
            results.append(
                conversion_cells(
                    engine, "email", 100, Attribution.LAST_TOUCH, bounds, with_values, by
                )
            )
        results.append(lift_cells(engine, "email", 100, bounds, keys))
        results.append(funnel_cells(engine, "email", 100, 200, bounds, keys))
    return results


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("max_cells", "campaigns"), [(8, CAMPAIGNS), (4, CAMPAIGNS), (2, CAMPAIGNS), (3, ("a", "b"))]
)
def test_prepared_files_release_what_the_uploaded_files_release(
    tmp_path: Path, seed: int, max_cells: int, campaigns: tuple[str, ...]
) -> None:
    raw = _world(tmp_path, seed)
    ready = _prepared(raw, tmp_path / "prepared")
    with Engine(ready, EngineSettings(threads=1)) as engine:
        assert precomputed_users(engine, "token_email") == {"exposures", "purchases", FIRSTS}
    bounds = ContributionBounds(max_cells, 3, 20_000)
    keys = GroupKeys(campaigns)
    assert _all_results(ready, bounds, keys) == _all_results(raw, bounds, keys)


def test_time_decay_credits_do_not_depend_on_the_order_the_party_wrote_its_rows(
    tmp_path: Path,
) -> None:
    """Attack: a party writes one user's touches of campaign ``a`` oldest first and the
    same touches of ``b`` newest first. Summed as floating-point numbers in row order,
    the two groups' time-decay weights differed in their last bit, so the file as
    uploaded gave ``b`` 499,999 micro-credits (4,999 cents) and the prepared file, sorted
    by time, 500,000 (5,000): a query's exact result changed with the background
    preparation. Each touch's weight is now a whole number of 2^-32 steps, whose sums are
    exact in any order."""
    times = (414, 497, 940)
    exposures = [(1, "a", t, False) for t in times] + [(1, "b", t, False) for t in times[::-1]]
    raw = Sources(
        (write_exposures(tmp_path / "e.parquet", exposures),),
        (write_purchases(tmp_path / "p.parquet", [(1, 1000, 100.0)]),),
    )
    ready = _prepared(raw, tmp_path / "prepared")
    settings = CreditSettings((Attribution.TIME_DECAY,), half_life_seconds=13)
    bounds, keys = ContributionBounds(4, 3, 10**9), GroupKeys(("a", "b"))
    results = []
    for sources in (raw, ready):
        with Engine(sources, EngineSettings(threads=1)) as engine:
            cells = credit_cells(engine, "email", 1000, settings, bounds, keys).cells
        results.append([cell.credits for cell in cells])
    assert results[0] == results[1] == [((500_000, 5_000),), ((500_000, 5_000),)]


def _crafted(directory: Path, seed: int) -> Sources:
    """A party's odd but valid files: two token families (the preparation sorts by the
    first, a query may join on the second), tokens sharing their last 60 bits, NULL
    tokens, campaigns, times and holdout flags, undeclared campaigns, repeated rows,
    NaN, infinite and negative-zero amounts, small row groups."""
    rng = random.Random(seed)  # noqa: S311 -- a seeded test world, not a secret

    def pool() -> list[bytes | None]:
        tokens: list[bytes | None] = [None, *(rng.randbytes(32) for _ in range(25))]
        for _ in range(5):  # a token and another with the same user number
            first = rng.randbytes(32)
            tokens += [first, rng.randbytes(24) + bytes([first[24] ^ 0x30]) + first[25:]]
        return tokens

    emails, phones = pool(), pool()
    times = [None, *range(300)]
    exposures = [
        (
            rng.choice(emails),
            rng.choice(phones),
            rng.choice(("a", "b", "c", "zz", None)),
            rng.choice(times),
            rng.choice((True, False, None)),
            rng.choice(("tv", "web", None)),
        )
        for _ in range(300)
    ]
    amounts = (None, float("nan"), float("inf"), -0.0, 3.5, 12.345, 99.995, -5.0, 1e300)
    purchases = [
        (
            rng.choice(emails),
            rng.choice(phones),
            rng.choice(times),
            rng.choice(amounts),
            rng.choice(("north", "south", None)),
        )
        for _ in range(300)
    ]
    exposures += exposures[:40]
    purchases += purchases[:40]
    rng.shuffle(exposures)
    rng.shuffle(purchases)
    tokens = pa.binary(32)
    e = pa.table(
        {
            "token_email": pa.array([r[0] for r in exposures], tokens),
            "token_phone": pa.array([r[1] for r in exposures], tokens),
            "campaign_id": pa.array([r[2] for r in exposures], pa.string()),
            "exposure_time": pa.array([r[3] for r in exposures], pa.int64()),
            "holdout": pa.array([r[4] for r in exposures], pa.bool_()),
            "channel": pa.array([r[5] for r in exposures], pa.string()),
        }
    )
    p = pa.table(
        {
            "token_phone": pa.array([r[1] for r in purchases], tokens),
            "token_email": pa.array([r[0] for r in purchases], tokens),
            "purchase_time": pa.array([r[2] for r in purchases], pa.int64()),
            "amount": pa.array([r[3] for r in purchases], pa.float64()),
            "store_region": pa.array([r[4] for r in purchases], pa.string()),
        }
    )
    paths = []
    for name, table in (("e", e), ("p", p)):
        schema = pa.schema(
            token_field(f.name.removeprefix("token_")) if f.name.startswith("token_") else f
            for f in table.schema
        )
        path = directory / f"{name}.parquet"
        pq.write_table(table.cast(schema), path, row_group_size=37)
        paths.append(path)
    return Sources((paths[0],), (paths[1],))


def _every_template(sources: Sources) -> list[object]:
    credit = CreditSettings(
        (Attribution.LINEAR, Attribution.POSITION_BASED, Attribution.TIME_DECAY),
        half_life_seconds=7,
    )
    keys = GroupKeys(("a", "b", "c"))
    out: list[object] = []
    with Engine(sources, EngineSettings(threads=2)) as engine:
        for family in ("email", "phone"):
            for max_cells in (1, 8):
                bounds = ContributionBounds(max_cells, 2, 5_000)
                for attribution in (Attribution.LAST_TOUCH, Attribution.FIRST_TOUCH):
                    out.append(conversion_cells(engine, family, 100, attribution, bounds, keys))
                    out.append(
                        time_to_conversion_cells(
                            engine, family, 100, attribution, bounds, keys, [10, 50]
                        )
                    )
                by_channel = GroupKeys(keys.campaigns, ("tv",), other=True)
                out.append(
                    conversion_cells(
                        engine, family, 100, Attribution.LAST_TOUCH, bounds, by_channel, "channel"
                    )
                )
                out.append(credit_cells(engine, family, 100, credit, bounds, keys))
                out.append(lift_cells(engine, family, 100, bounds, keys))
                out.append(funnel_cells(engine, family, 100, 200, bounds, keys))
                out.append(reach_frequency_cells(engine, family, 100, bounds, keys, [1, 2, 4], 10))
            out.append(overlap_counts(engine, family))
    return out


def test_a_partys_odd_files_release_the_same_before_and_after_preparation(
    tmp_path: Path,
) -> None:
    """Attack (holds): edge cases a party controls, every template, joined on either
    family: the prepared files release exactly what the uploaded files release."""
    raw = _crafted(tmp_path, 7)
    ready = _prepared(raw, tmp_path / "prepared")
    assert _every_template(ready) == _every_template(raw)
