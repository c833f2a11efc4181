"""The synthetic world's truth for the closed-loop questions: attribution models compared,
reach and frequency, time to conversion, the funnel.

As in :mod:`cleanroom.demo.truth`: people rather than tokens, every row (no contribution
bounds), unclamped amounts, no noise; each function follows its template's definition in
``docs/reference/queries.md``. Holdout-arm people count nowhere in a campaign.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cleanroom.demo.truth import Table, World, exposed_arm, ratio
from cleanroom.demo.truth import touches as pairs

DAY = 86_400
FREQUENCY_EDGES = (1, 2, 3, 6, 11)
FREQUENCY_CAP = 20
DELAY_EDGES = ((3_600, "1h"), (DAY, "1d"), (3 * DAY, "3d"), (7 * DAY, "7d"))
HORIZON_S = 30 * DAY


def _weights(
    touches: pd.DataFrame, model: str, half_life_s: int, ends: tuple[float, float]
) -> pd.Series:
    """Each touch's share of its purchase's one credit under ``model``."""
    n = touches.groupby("purchase")["exposure_time"].transform("size")
    rank = touches.groupby("purchase").cumcount()  # 0 = first touch
    first, last = rank == 0, rank == n - 1
    if model == "first_touch":
        return first.astype(float)
    if model == "last_touch":
        return last.astype(float)
    if model == "linear":
        return 1.0 / n
    if model == "position_based":
        f, l_ = ends
        middle = (1 - f - l_) / (n - 2).clip(lower=1)
        two = np.where(first, f / (f + l_), l_ / (f + l_))
        many = np.where(first, f, np.where(last, l_, middle))
        return pd.Series(np.where(n == 1, 1.0, np.where(n == 2, two, many)), touches.index)
    if model == "time_decay":
        latest = touches.groupby("purchase")["exposure_time"].transform("max")
        raw = pd.Series(2.0 ** (-(latest - touches["exposure_time"]) / half_life_s))
        total: pd.Series = raw.groupby(touches["purchase"]).transform("sum")
        return raw / total
    raise ValueError(f"no truth for attribution model {model!r}")


def attribution(
    world: World,
    window_s: int,
    models: Sequence[str],
    half_life_s: int = 3 * DAY,
    ends: tuple[float, float] = (0.4, 0.4),
) -> Table:
    """Per campaign: exposed people and, per model, credited conversions, revenue, ROAS."""
    exposed_world = World(exposed_arm(world.exposures), world.purchases, world.spend)
    inside = pairs(exposed_world, window_s).query("inside")
    touches = inside.sort_values(["purchase", "exposure_time", "campaign_id"])
    exposed = exposed_world.exposures.groupby("campaign_id")["person"].nunique()
    spend = world.spend.groupby("campaign_id")["spend"].sum()
    table: Table = {(str(c),): {"exposed_users": float(n)} for c, n in exposed.items()}
    for model in models:
        credit = touches.assign(credit=_weights(touches, model, half_life_s, ends))
        credit["revenue"] = credit["credit"] * credit["amount"]
        sums = credit.groupby("campaign_id")[["credit", "revenue"]].sum()
        for campaign in exposed.index:
            conversions = float(sums["credit"].get(campaign, 0.0))
            revenue = round(float(sums["revenue"].get(campaign, 0.0)), 2)
            table[(str(campaign),)].update(
                {
                    f"{model}.credited_conversions": conversions,
                    f"{model}.credited_revenue": revenue,
                    f"{model}.roas": ratio(revenue, float(spend.get(campaign, 0.0))),
                }
            )
    return table


def _frequency_label(count: int) -> str:
    edges = FREQUENCY_EDGES
    for i, low in enumerate(edges):
        high = edges[i + 1] - 1 if i + 1 < len(edges) else None
        if high is None or count <= high:
            return f"{low}+" if high is None else str(low) if high == low else f"{low}-{high}"
    raise AssertionError("unreachable: the last bucket is open")


def _converted_people(world: World, window_s: int) -> pd.Series:
    """(campaign, person) of exposed-arm people with a purchase in [t, t + window]."""
    after = pairs(world, window_s).query("inside")
    return after.groupby(["campaign_id", "person"]).size().gt(0)


def reach_frequency(world: World, window_s: int) -> Table:
    """Per campaign and frequency bucket: exposed people, converted people, their rate."""
    arm = World(exposed_arm(world.exposures), world.purchases, world.spend)
    counts = arm.exposures.groupby(["campaign_id", "person"]).size().clip(upper=FREQUENCY_CAP)
    people = counts.rename("count").to_frame()
    people["bucket"] = people["count"].map(_frequency_label)
    converted = _converted_people(arm, window_s)
    people["converted"] = converted.reindex(people.index, fill_value=False).astype(bool)
    grouped = people.groupby(["campaign_id", "bucket"])["converted"]
    sizes, sums = grouped.size().to_dict(), grouped.sum().to_dict()
    table: Table = {}
    for campaign in sorted(arm.exposures["campaign_id"].unique()):
        for low in FREQUENCY_EDGES:
            label = _frequency_label(low)
            users = float(sizes.get((campaign, label), 0))
            bought = float(sums.get((campaign, label), 0))
            table[(str(campaign), label)] = {
                "users": users,
                "converted": bought,
                "conversion_rate": ratio(bought, users),
            }
    return table


def _delay_labels(window_s: int) -> list[tuple[int, str]]:
    """(upper bound in seconds, label) per bucket; the last bucket runs to the window."""
    inner = [(s, text) for s, text in DELAY_EDGES if s < window_s]
    names = ["0", *(text for _, text in inner)]
    uppers = [s for s, _ in inner] + [window_s + 1]
    return [
        (upper, f"{names[i]}-{names[i + 1]}" if i + 1 < len(names) else f"{names[i]}+")
        for i, upper in enumerate(uppers)
    ]


def time_to_conversion(world: World, window_s: int) -> Table:
    """Per campaign and delay bucket: last-touch purchases by delay, and their share."""
    arm = World(exposed_arm(world.exposures), world.purchases, world.spend)
    inside = pairs(arm, window_s).query("inside")
    ordered = inside.sort_values(
        ["purchase", "exposure_time", "campaign_id"], ascending=[True, False, True]
    )
    attributed = ordered.drop_duplicates("purchase")
    buckets = _delay_labels(window_s)
    uppers = np.array([upper for upper, _ in buckets])
    index = np.searchsorted(uppers, attributed["lag"].to_numpy(), side="right")
    labelled = attributed.assign(bucket=[buckets[i][1] for i in index])
    cells = labelled.groupby(["campaign_id", "bucket"]).size().to_dict()
    table: Table = {}
    for campaign in sorted(arm.exposures["campaign_id"].unique()):
        total = float(sum(cells.get((campaign, label), 0) for _, label in buckets))
        for _, label in buckets:
            purchases = float(cells.get((campaign, label), 0))
            table[(str(campaign), label)] = {
                "purchases": purchases,
                "campaign_purchases": total,
                "share": ratio(purchases, total),
            }
    return table


def funnel(world: World, window_s: int, horizon_s: int = HORIZON_S) -> Table:
    """Per campaign: exposed, matched, converted and repeated people, and step rates."""
    arm = World(exposed_arm(world.exposures), world.purchases, world.spend)
    people = arm.exposures[["campaign_id", "person"]].drop_duplicates()
    buyers = set(world.purchases["person"])
    inside = pairs(arm, window_s).query("inside")
    first = inside.groupby(["campaign_id", "person"])["purchase_time"].min().rename("tc")
    later = first.reset_index().merge(world.purchases[["person", "purchase_time"]], on="person")
    gap = later["purchase_time"] - later["tc"]
    repeated = later[(gap > 0) & (gap <= horizon_s)].groupby("campaign_id")["person"].nunique()
    converted = first.reset_index().groupby("campaign_id")["person"].nunique()
    table: Table = {}
    for campaign, group in people.groupby("campaign_id"):
        exposed = float(len(group))
        matched = float(group["person"].isin(buyers).sum())
        conv = float(converted.get(campaign, 0))
        rep = float(repeated.get(campaign, 0))
        table[(str(campaign),)] = {
            "exposed": exposed,
            "matched": matched,
            "converted": conv,
            "repeated": rep,
            "match_rate": ratio(matched, exposed),
            "conversion_rate": ratio(conv, matched),
            "repeat_rate": ratio(rep, conv),
            "exposed_conversion_rate": ratio(conv, exposed),
        }
    return table
