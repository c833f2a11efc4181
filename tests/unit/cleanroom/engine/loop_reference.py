"""A pandas reference of the closed-loop templates (``reach_frequency``,
``time_to_conversion``, ``funnel``), *with* the per-user contribution bounds.

Written from docs/reference/queries.md, independently of the SQL. The one thing it
shares with the engine is the documented pseudo-random order that picks a user's kept
campaigns and purchases when they exceed a bound (cleanroom/engine/bound.py: smallest
``digest(u, digest(campaign, NULL))`` then key order; smallest ``digest(u, t, cents,
NULL)`` then time and amount, ``digest`` being the hex MD5 of the parts joined by ``|``
and ``u`` the token's last 60 bits: cleanroom/engine/dialect.py); everything else is
pandas and Python.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache

import pandas as pd

from cleanroom.engine import GroupKeys
from tests.unit.cleanroom.engine.reference import cents, token


def _md5(*parts: object) -> str:
    """The engines' ``digest``: hex MD5 of the parts as text joined by ``|`` (NULL: empty)."""
    text = "|".join("" if p is None else str(p) for p in parts)
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 -- the documented digest


@cache
def user_hash(u: int) -> int:
    """The user inside the SQL: the token's last 60 bits."""
    return int(token(u).hex()[-15:], 16)


@cache
def campaign_rank(u: int, campaign: str) -> str:
    return _md5(user_hash(u), _md5(campaign, None))


@cache
def purchase_rank(u: int, t: int, amount_cents: int) -> str:
    return _md5(user_hash(u), t, amount_cents, None)


def kept_exposures(exposures: list, keys: GroupKeys, max_campaigns: int) -> pd.DataFrame:  # type: ignore[type-arg]
    """Exposed-arm rows ``(u, campaign, t)`` of each user's kept campaigns: at most
    ``max_campaigns`` per user chosen among all their declared campaigns (holdout ones
    included), then campaigns where the user has a holdout row dropped."""
    e = pd.DataFrame(exposures, columns=["u", "campaign", "t", "holdout"])
    e = e[e["u"].notna() & e["campaign"].isin(keys.campaigns)]
    kept = []
    for u, rows in e.groupby("u"):
        mine = sorted(
            set(rows["campaign"]),
            key=lambda c: (campaign_rank(int(u), c), keys.campaigns.index(c)),
        )
        for c in mine[:max_campaigns]:
            arm = rows[rows["campaign"] == c]
            if not arm["holdout"].any():
                kept.append(arm[["u", "campaign", "t"]])
    if not kept:
        return pd.DataFrame({"u": [], "campaign": [], "t": []})
    return pd.concat(kept)


def _purchases(purchases: list) -> pd.DataFrame:  # type: ignore[type-arg]
    p = pd.DataFrame(purchases, columns=["u", "t", "amount"])
    return p[p["u"].notna()]


def _bucket(value: int, lower_edges: Sequence[int]) -> int:
    return max(i for i, edge in enumerate(lower_edges) if value >= edge)


def reach_frequency(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    keys: GroupKeys,
    max_campaigns: int,
    buckets: Sequence[int],
    cap: int,
) -> dict[tuple[str, int], tuple[int, int]]:
    """(campaign, bucket index) -> (users, converted)."""
    kept, p = kept_exposures(exposures, keys, max_campaigns), _purchases(purchases)
    out = {(c, b): [0, 0] for c in keys.campaigns for b in range(len(buckets))}
    for (u, c), rows in kept.groupby(["u", "campaign"]):
        n = min(len(rows), cap)
        times = p[p["u"] == u]["t"]
        converted = any(((times >= t) & (times <= t + window)).any() for t in rows["t"])
        cell = out[(str(c), _bucket(n, buckets))]
        cell[0] += 1
        cell[1] += int(converted)
    return {key: (v[0], v[1]) for key, v in out.items()}


def time_to_conversion(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    last_touch: bool,
    keys: GroupKeys,
    max_campaigns: int,
    max_purchases: int,
    cap_cents: int,
    boundaries: Sequence[int],
) -> dict[tuple[str, int], int]:
    """(campaign, delay bucket index) -> kept attributed purchases."""
    kept, p = kept_exposures(exposures, keys, max_campaigns), _purchases(purchases)
    edges = [0, *boundaries]
    out = {(c, b): 0 for c in keys.campaigns for b in range(len(edges))}
    for u, mine in p.groupby("u"):
        touches = kept[kept["u"] == u]
        attributable = []
        for t, amount in zip(mine["t"], mine["amount"], strict=True):
            near = touches[(touches["t"] >= t - window) & (touches["t"] <= t)]
            if not near.empty:
                c = cents(amount, cap_cents)
                attributable.append((purchase_rank(int(u), int(t), c), int(t), c, near))
        attributable.sort(key=lambda x: x[:3])
        for _, t, _, near in attributable[:max_purchases]:
            order = sorted(
                zip(near["t"], near["campaign"], strict=True),
                key=lambda x: (-x[0] if last_touch else x[0], keys.campaigns.index(x[1])),
            )
            et, c = order[0]
            out[(str(c), _bucket(t - int(et), edges))] += 1
    return out


def funnel(
    exposures: list,  # type: ignore[type-arg]
    purchases: list,  # type: ignore[type-arg]
    window: int,
    horizon: int,
    keys: GroupKeys,
    max_campaigns: int,
) -> dict[str, tuple[int, int, int, int]]:
    """campaign -> users by deepest stage (exposed, matched, converted, repeated)."""
    kept, p = kept_exposures(exposures, keys, max_campaigns), _purchases(purchases)
    out = {c: [0, 0, 0, 0] for c in keys.campaigns}
    for (u, c), rows in kept.groupby(["u", "campaign"]):
        times = sorted(int(t) for t in p[p["u"] == u]["t"])
        converting = [t for t in times if any(et <= t <= et + window for et in rows["t"])]
        stage = 1 if times else 0
        if converting:
            tc = converting[0]
            stage = 3 if any(tc < t <= tc + horizon for t in times) else 2
        out[str(c)][stage] += 1
    return {c: (v[0], v[1], v[2], v[3]) for c, v in out.items()}
