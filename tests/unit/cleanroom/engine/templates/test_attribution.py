"""Fractional-credit SQL on hand-checked worlds: each model's split, ties, rounding down,
purchases outside every window, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.engine import (
    Attribution,
    ContributionBounds,
    CreditSettings,
    Engine,
    GroupKeys,
    Sources,
    credit_cells,
)
from cleanroom.errors import RequestInvalid
from tests.unit.cleanroom.engine.reference import write_purchases
from tests.unit.cleanroom.engine.reference_attribution import write_exposures

WIDE = ContributionBounds(100, 1000, 100_000)
ABC = GroupKeys(("a", "b", "c"))
M = Attribution
ALL = CreditSettings(tuple(M), 400_000, 400_000, 10, stage_column="stage", milestone="lead")

# user 1: a@0, b@5 (lead), c@8, a@8: a purchase of 100.00 at 10 (four touches, a tie at 8)
# user 2: b@3: a purchase of 50.00 at 4 (one touch) and one at 100 (outside the window)
# user 3: c@1: a purchase at 0 (before its only exposure: no touch)
EXPOSURES = [
    (1, "a", 0, False, False),
    (1, "b", 5, False, True),
    (1, "c", 8, False, False),
    (1, "a", 8, False, False),
    (2, "b", 3, False, False),
    (3, "c", 1, False, False),
]
PURCHASES = [(1, 10, 100.0), (2, 4, 50.0), (2, 100, 70.0), (3, 0, 30.0)]


def _credits(
    tmp_path: Path,
    settings: CreditSettings = ALL,
    exposures: list = EXPOSURES,  # type: ignore[type-arg]
    purchases: list = PURCHASES,  # type: ignore[type-arg]
    **kw: object,
) -> dict:  # type: ignore[type-arg]
    sources = Sources(
        (write_exposures(tmp_path / "e.parquet", exposures),),
        (write_purchases(tmp_path / "p.parquet", purchases),),
    )
    with Engine(sources) as engine:
        found = credit_cells(engine, "email", 20, settings, WIDE, ABC, **kw)  # type: ignore[arg-type]
    return {c.campaign: dict(zip(found.models, c.credits, strict=True)) for c in found.cells}


def test_each_model_splits_one_credit_over_the_touches(tmp_path: Path) -> None:
    got = _credits(tmp_path)
    # user 2's one touch gives b a whole credit and 5000 cents under every model
    one = (1_000_000, 5_000)
    # user 1: order a@0, b@5, a@8, c@8 (ties in time go to key order); first a@0, last a@8
    want = {
        M.FIRST_TOUCH: {"a": (1_000_000, 10_000), "b": one, "c": (0, 0)},
        M.LAST_TOUCH: {"a": (1_000_000, 10_000), "b": one, "c": (0, 0)},
        M.LINEAR: {"a": (500_000, 5_000), "b": (1_250_000, 7_500), "c": (250_000, 2_500)},
        # first 40% + last 40% both a; b and c share 20%
        M.POSITION_BASED: {"a": (800_000, 8_000), "b": (1_100_000, 6_000), "c": (100_000, 1_000)},
        # roles: first a@0, lead b@5, last a@8: 30% each; c the one other touch, 10%
        M.W_SHAPED: {"a": (600_000, 6_000), "b": (1_300_000, 8_000), "c": (100_000, 1_000)},
    }
    for model, groups in want.items():
        assert {g: got[g][model] for g in "abc"} == groups, model
    # time decay, half-life 10 from the latest touch (8): weights 2^-0.8, 2^-0.3, 1, 1
    w = [2**-0.8, 2**-0.3, 1.0, 1.0]
    share = {"a": (w[0] + w[2]) / sum(w), "b": w[1] / sum(w), "c": w[3] / sum(w)}
    decay = {g: got[g][M.TIME_DECAY] for g in "abc"}
    assert decay["a"][0] == int(share["a"] * 1_000_000)
    assert decay["b"][0] == int(share["b"] * 1_000_000) + 1_000_000
    assert decay["c"][0] == int(share["c"] * 1_000_000)


def test_shares_round_down_so_a_purchase_never_gives_more_than_one_credit(
    tmp_path: Path,
) -> None:
    exposures = [(1, "a", 0, False, False), (1, "b", 1, False, False), (1, "c", 2, False, False)]
    got = _credits(tmp_path, CreditSettings((M.LINEAR,)), exposures, [(1, 3, 1.0)])
    # thirds: 333,333 micro-credits and floor(100 x 333,333 / 10^6) = 33 cents each
    assert [got[g][M.LINEAR] for g in "abc"] == [(333_333, 33)] * 3


def test_position_weights_and_two_touches(tmp_path: Path) -> None:
    settings = CreditSettings((M.POSITION_BASED,), 300_000, 500_000)
    got = _credits(tmp_path, settings)
    # four touches: a gets first 30% + last 50%; b and c share 20% -> 10% each
    assert got["a"][M.POSITION_BASED] == (800_000, 8_000)
    assert got["c"][M.POSITION_BASED] == (100_000, 1_000)


def test_w_shaped_needs_the_stage_column(tmp_path: Path) -> None:
    settings = CreditSettings((M.W_SHAPED,), stage_column="funnel", milestone="lead")
    with pytest.raises(RequestInvalid, match="w_shaped needs the stage column `funnel`"):
        _credits(tmp_path, settings)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": ()}, "name each model once"),
        ({"models": (M.LINEAR, M.LINEAR)}, "name each model once"),
        ({"models": (M.TIME_DECAY,)}, "time_decay needs a half-life"),
        ({"models": (M.W_SHAPED,)}, "w_shaped needs a stage column"),
        ({"models": (M.LINEAR,), "first_micro": 600_000, "last_micro": 500_000},
         "position weights must be positive and sum to at most 1"),
    ],
)  # fmt: skip
def test_settings_check_themselves(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CreditSettings(**kwargs)  # type: ignore[arg-type]
