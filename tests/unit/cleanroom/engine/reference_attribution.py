"""A pandas reference of fractional-credit ``conversions``, written from the model
definitions in docs/reference/queries.md, independently of the SQL.

Like :mod:`tests.unit.cleanroom.engine.reference` it applies no contribution bounding
(callers choose bounds no data exceeds). Exposure rows here are ``(user, campaign, time,
holdout, milestone)``: :func:`write_exposures` adds a ``stage`` column, ``lead`` where
``milestone`` is true and ``ad`` otherwise, independent of the time (so ties in time
and campaign between a milestone touch and another one happen).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cleanroom.engine import GroupKeys
from tests.unit.cleanroom.engine import reference as ref

MICRO = 1_000_000
Touch = tuple[int, int, bool]
"""(time, group index in key order, milestone stage)."""


def write_exposures(path: Path, rows: list[tuple[int | None, str, int, bool, bool]]) -> Path:
    ref.write_exposures(path, [r[:4] for r in rows])
    table = pq.read_table(path)
    stages = pa.array(["lead" if r[4] else "ad" for r in rows], pa.string())
    pq.write_table(table.append_column("stage", stages), path)
    return path


def _roles(touches: Sequence[Touch]) -> tuple[list[Touch], int, int, int | None]:
    """Touches in order (time, group, milestone first); indices of first, last, lead."""
    order = sorted(touches, key=lambda x: (x[0], x[1], 0 if x[2] else 1))
    latest = max(x[0] for x in order)
    low = min(x[1] for x in order if x[0] == latest)
    last = max(i for i, x in enumerate(order) if x[0] == latest and x[1] == low)
    lead = next((i for i, x in enumerate(order) if x[2]), None)
    return order, 0, last, lead


def raw_weights(model: str, touches: Sequence[Touch], weights: tuple[int, int], half: int):  # type: ignore[no-untyped-def]
    """(ordered touches, raw weight of each) under ``model``."""
    order, first, last, lead = _roles(touches)
    n = len(order)
    if model == "last_touch":
        return order, [int(i == last) for i in range(n)]
    if model == "first_touch":
        return order, [int(i == first) for i in range(n)]
    if model == "linear":
        return order, [1] * n
    if model == "position_based":
        f, b = weights
        middle = n - len({first, last})
        factor = max(middle, 1)
        return order, [
            (f * factor if i == first else 0)
            + (b * factor if i == last else 0)
            + (MICRO - f - b if i not in (first, last) else 0)
            for i in range(n)
        ]
    if model == "time_decay":
        latest = max(x[0] for x in order)
        steps = 2.0**32  # whole steps of 2^-32, as the engine counts them
        return order, [math.floor(2.0 ** (-(latest - x[0]) / half) * steps) for x in order]
    roles = [int(i == first) + int(i == last) + int(i == lead) for i in range(n)]
    others = sum(1 for r in roles if r == 0)
    return order, [3 * r * max(others, 1) + (1 if r == 0 else 0) for r in roles]


def split(
    model: str, touches: Sequence[Touch], weights: tuple[int, int], half: int
) -> dict[int, int]:
    """Micro-credits per group index of one purchase."""
    order, raw = raw_weights(model, touches, weights, half)
    total = sum(raw)
    per_group: dict[int, float] = {}
    for touch, weight in zip(order, raw, strict=True):
        per_group[touch[1]] = per_group.get(touch[1], 0) + weight
    if model == "time_decay":
        return {g: math.floor(w * MICRO / total) for g, w in per_group.items()}
    return {g: int(w) * MICRO // int(total) for g, w in per_group.items()}


def credits(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    models: Sequence[str],
    cap_cents: int,
    keys: GroupKeys,
    *,
    by: str | None = None,
    weights: tuple[int, int] = (400_000, 400_000),
    half_life: int = 5,
) -> dict[tuple[str, str | None], tuple[int, list[tuple[int, int]]]]:
    """(campaign, key) -> (exposed users, [(micro-credits, cents) per model]).

    ``by``: ``"channel"`` (exposures) or ``"store_region"`` (purchases) or ``None``."""
    e, p = ref._frames([r[:4] for r in exposures], purchases, keys)
    e["milestone"] = [r[4] for r in exposures if r[1] in keys.campaigns]
    by_channel = by == "channel"
    e["dim"] = e["channel"] if by_channel else None
    if by_channel:
        e = e[e["dim"].notna()]
    dims = keys.dimension_keys() if by_channel else (None,)
    order = [(c, d) for c in keys.campaigns for d in dims]
    tokened = ref.exposed_arm(e[e["u"].notna()])
    exposed: dict[tuple[str, str | None], set[int]] = {key: set() for key in order}
    for u, c, d in zip(tokened["u"], tokened["campaign"], tokened["dim"], strict=True):
        exposed[(c, d)].add(u)
    if by == "store_region":
        regions = keys.dimension_keys()
        per_campaign = {c: len(exposed[(c, None)]) for c in keys.campaigns}
        out_keys = [(c, r) for c in keys.campaigns for r in regions]
        out = {k: (per_campaign[k[0]], [[0, 0] for _ in models]) for k in out_keys}
    else:
        out = {k: (len(exposed[k]), [[0, 0] for _ in models]) for k in order}
    for u, t, amount, region in zip(p["u"], p["t"], p["amount"], p["region"], strict=True):
        if u is None or pd.isna(u) or (by == "store_region" and pd.isna(region)):
            continue
        mine = tokened[(tokened["u"] == u) & (tokened["t"] <= t) & (tokened["t"] >= t - window)]
        if mine.empty:
            continue
        touches = [
            (int(et), order.index((c, d)), bool(s))
            for et, c, d, s in zip(mine["t"], mine["campaign"], mine["dim"], mine["milestone"],
                                   strict=True)
        ]  # fmt: skip
        cents = ref.cents(amount, cap_cents)
        for m, model in enumerate(models):
            for group, micro in split(model, touches, weights, half_life).items():
                campaign, dim = order[group]
                key = (campaign, region) if by == "store_region" else (campaign, dim)
                out[key][1][m][0] += micro
                out[key][1][m][1] += cents * micro // MICRO
    return {k: (v[0], [(a, b) for a, b in v[1]]) for k, v in out.items()}
