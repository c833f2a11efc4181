"""A pandas reference implementation of the templates, and Parquet writers for tests.

Written from the template definitions in docs/reference/queries.md, independently of
the SQL. It applies no contribution bounding (callers choose bounds no data exceeds);
amounts are clamped to the cap in whole cents, as in the SQL. The groups are the
declared ``GroupKeys``: a row of an undeclared campaign counts nowhere, a row of an
undeclared dimension value counts in ``other`` when declared, else nowhere.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cleanroom.engine import GroupKeys
from policies.keys import OTHER
from protocols import token_field


def token(i: int) -> bytes:
    return i.to_bytes(32, "big")


def write_exposures(path: Path, rows: list[tuple[int | None, str, int, bool]]) -> Path:
    """rows: (user or None, campaign_id, exposure_time, holdout)."""
    table = pa.table(
        {
            "token_email": pa.array(
                [None if u is None else token(u) for u, *_ in rows], pa.binary(32)
            ),
            "campaign_id": pa.array([r[1] for r in rows], pa.string()),
            "exposure_time": pa.array([r[2] for r in rows], pa.int64()),
            "holdout": pa.array([r[3] for r in rows], pa.bool_()),
            "channel": pa.array(["tv" if r[2] % 2 else "web" for r in rows], pa.string()),
        }
    )
    table = table.cast(table.schema.set(0, token_field("email")))
    pq.write_table(table, path)
    return path


def write_purchases(path: Path, rows: list[tuple[int | None, int, float]]) -> Path:
    """rows: (user or None, purchase_time, amount)."""
    table = pa.table(
        {
            "token_email": pa.array(
                [None if u is None else token(u) for u, *_ in rows], pa.binary(32)
            ),
            "purchase_time": pa.array([r[1] for r in rows], pa.int64()),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
            "store_region": pa.array([region(r[1]) for r in rows], pa.string()),
        }
    )
    table = table.cast(table.schema.set(0, token_field("email")))
    pq.write_table(table, path)
    return path


def region(purchase_time: int) -> str:
    return "north" if purchase_time % 3 == 0 else "south"


def _key(value: str, keys: GroupKeys) -> str | None:
    """The group key of a dimension value: itself if declared, else ``other`` or none."""
    if value in (keys.values or ()):
        return value
    return OTHER if keys.other else None


def _frames(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    keys: GroupKeys,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exposures of declared campaigns only; ``channel``/``region`` mapped to their keys."""
    e = pd.DataFrame(exposures, columns=["u", "campaign", "t", "holdout"])
    e["channel"] = [_key("tv" if t % 2 else "web", keys) for t in e["t"]]
    e = e[e["campaign"].isin(keys.campaigns)]
    p = pd.DataFrame(purchases, columns=["u", "t", "amount"])
    p["region"] = [_key(region(t), keys) for t in p["t"]]
    return e, p


def exposed_arm(tokened: pd.DataFrame) -> pd.DataFrame:
    """Rows of (user, campaign) pairs in the exposed arm: a pair with any holdout row is
    the holdout arm, and ``conversions`` counts only the exposed arm."""
    held = tokened.groupby(["u", "campaign"])["holdout"].transform("any")
    return tokened[~held.astype(bool)]


def cents(amount: float, cap_cents: int) -> int:
    if not math.isfinite(amount):
        return 0
    return int(min(max(round(amount * 100), 0), cap_cents))


def overlap(exposures: list, purchases: list) -> tuple[int, int, int]:  # type: ignore[type-arg]
    a = {r[0] for r in exposures if r[0] is not None}
    b = {r[0] for r in purchases if r[0] is not None}
    return len(a & b), len(a), len(b)


def conversions(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    last_touch: bool,
    cap_cents: int,
    keys: GroupKeys,
    by_channel: bool = False,
) -> dict[tuple[str, str | None], tuple[int, int, int]]:
    """(campaign, channel key or None) -> (exposed, converted, revenue_cents)."""
    e, p = _frames(exposures, purchases, keys)
    e["dim"] = e["channel"] if by_channel else None
    if by_channel:
        e = e[e["dim"].notna()]
    dims = keys.dimension_keys() if by_channel else (None,)
    order = [(c, d) for c in keys.campaigns for d in dims]  # declaration order
    out = {key: [set(), set(), 0] for key in order}
    tokened = exposed_arm(e[e["u"].notna()])
    for u, c, d in zip(tokened["u"], tokened["campaign"], tokened["dim"], strict=True):
        out[(c, d)][0].add(u)
    for u, t, amount in zip(p["u"], p["t"], p["amount"], strict=True):
        if u is None or pd.isna(u):
            continue
        mine = tokened[(tokened["u"] == u) & (tokened["t"] <= t) & (tokened["t"] >= t - window)]
        if mine.empty:
            continue
        touches = zip(mine["t"], mine["campaign"], mine["dim"], strict=True)
        ranked = sorted(
            ((et, order.index((c, d))) for et, c, d in touches),
            key=lambda x: (-x[0], x[1]) if last_touch else (x[0], x[1]),
        )
        key = order[ranked[0][1]]
        out[key][1].add(u)
        out[key][2] += cents(amount, cap_cents)
    return {k: (len(v[0]), len(v[1]), v[2]) for k, v in out.items()}


def conversions_by_region(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    cap_cents: int,
    keys: GroupKeys,
) -> dict[tuple[str, str | None], tuple[int, int, int]]:
    """(campaign, store_region key) -> (campaign's exposed, converted, revenue_cents),
    last touch; a purchase whose region maps to no key counts nowhere."""
    e, p = _frames(exposures, purchases, keys)
    campaigns = keys.campaigns
    regions = keys.dimension_keys()
    p = p[p["region"].notna()]
    tokened = exposed_arm(e[e["u"].notna()])
    exposed = {c: len(set(tokened[tokened["campaign"] == c]["u"])) for c in campaigns}
    out = {(c, r): [exposed[c], set(), 0] for c in campaigns for r in regions}
    for u, t, amount, reg in zip(p["u"], p["t"], p["amount"], p["region"], strict=True):
        if u is None or pd.isna(u):
            continue
        mine = tokened[(tokened["u"] == u) & (tokened["t"] <= t) & (tokened["t"] >= t - window)]
        if mine.empty:
            continue
        touches = zip(mine["t"], mine["campaign"], strict=True)
        best = sorted(touches, key=lambda x: (-x[0], campaigns.index(x[1])))
        key = (best[0][1], reg)
        out[key][1].add(u)
        out[key][2] += cents(amount, cap_cents)
    return {k: (v[0], len(v[1]), v[2]) for k, v in out.items()}


def lift(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    keys: GroupKeys,
) -> dict[str, tuple[int, int, int, int]]:
    """campaign -> (exposed, exposed_converted, holdout, holdout_converted)."""
    e, p = _frames(exposures, purchases, keys)
    out: dict[str, list[int]] = {c: [0, 0, 0, 0] for c in keys.campaigns}
    tokened = e[e["u"].notna()]
    for (u, c), rows in tokened.groupby(["u", "campaign"]):
        arm = 2 if rows["holdout"].any() else 0
        mine = p[p["u"] == u]
        converted = any(((mine["t"] >= t) & (mine["t"] <= t + window)).any() for t in rows["t"])
        out[c][arm] += 1
        out[c][arm + 1] += int(converted)
    return {c: (v[0], v[1], v[2], v[3]) for c, v in out.items()}


def lift_revenue(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    cap_cents: int,
    keys: GroupKeys,
) -> dict[str, tuple[int, int]]:
    """campaign -> (exposed revenue cents, holdout revenue cents): each purchase of a
    user counts once in every campaign with one of their exposures ``t <= time <= t +
    window``, in that campaign's arm for the user."""
    e, p = _frames(exposures, purchases, keys)
    out: dict[str, list[int]] = {c: [0, 0] for c in keys.campaigns}
    tokened = e[e["u"].notna()]
    for (u, c), rows in tokened.groupby(["u", "campaign"]):
        arm = 1 if rows["holdout"].any() else 0
        mine = p[p["u"] == u]
        for t, amount in zip(mine["t"], mine["amount"], strict=True):
            if any(et <= t <= et + window for et in rows["t"]):
                out[c][arm] += cents(amount, cap_cents)
    return {c: (v[0], v[1]) for c, v in out.items()}
