"""The true values of the synthetic world, computed from the person ids the parties never see.

Each function follows its template's definition (``docs/reference/queries.md``) but
counts *people* rather than tokens, uses every row (no contribution bounds) and the
unclamped amounts, and adds no noise. The released numbers differ from these by the DP
noise, by the contribution bounds, and by identifiers lost to invalid values (a person
whose only email was unreadable cannot be matched).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

Values = dict[str, float | None]
Table = dict[tuple[str, ...], Values]


@dataclass(frozen=True)
class World:
    """The truth files: who saw which campaign when, who bought what when."""

    exposures: pd.DataFrame  # person, campaign_id, channel, exposure_time, holdout
    purchases: pd.DataFrame  # person, purchase_time, amount, category
    spend: pd.DataFrame  # campaign_id, spend

    @classmethod
    def load(cls, exposures: Path, purchases: Path, spend: Path) -> World:
        return cls(pd.read_parquet(exposures), pd.read_parquet(purchases), pd.read_csv(spend))


def overlap(world: World) -> Table:
    exposed = set(world.exposures["person"])
    bought = set(world.purchases["person"])
    return {
        ("matched",): {"users": float(len(exposed & bought))},
        ("exposures",): {"users": float(len(exposed))},
        ("purchases",): {"users": float(len(bought))},
    }


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def touches(world: World, window_s: int) -> pd.DataFrame:
    """Every (purchase, exposure of the same person) pair; ``inside``: exposure in window."""
    purchases = world.purchases.reset_index(names="purchase")
    pairs = purchases.merge(world.exposures, on="person")
    lag = pairs["purchase_time"] - pairs["exposure_time"]
    return pairs.assign(lag=lag, inside=(lag >= 0) & (lag <= window_s))


def exposed_arm(exposures: pd.DataFrame) -> pd.DataFrame:
    """Exposure rows of people in a campaign's exposed arm (no holdout row for it)."""
    held = exposures.groupby(["campaign_id", "person"])["holdout"].transform("any")
    return exposures[~held.astype(bool)]


def conversions(world: World, window_s: int) -> Table:
    """Per campaign: exposed-arm people, converted people (last touch), revenue, ROAS.
    Holdout-arm people count nowhere in a campaign, as in the template."""
    world = World(exposed_arm(world.exposures), world.purchases, world.spend)
    inside = touches(world, window_s).query("inside")
    # Last touch: the latest exposure before the purchase; ties go to the first campaign.
    ordered = inside.sort_values(
        ["purchase", "exposure_time", "campaign_id"], ascending=[True, False, True]
    )
    attributed = ordered.drop_duplicates("purchase")
    by_campaign = attributed.groupby("campaign_id").agg(
        converted=("person", "nunique"), revenue=("amount", "sum")
    )
    exposed = world.exposures.groupby("campaign_id")["person"].nunique()
    spend = world.spend.groupby("campaign_id")["spend"].sum()
    table: Table = {}
    for campaign, people in exposed.items():
        converted = float(by_campaign["converted"].get(campaign, 0))
        revenue = float(by_campaign["revenue"].get(campaign, 0.0))
        table[(str(campaign),)] = {
            "exposed_users": float(people),
            "converted_users": converted,
            "conversion_rate": ratio(converted, float(people)),
            "revenue": round(revenue, 2),
            "roas": ratio(revenue, float(spend.get(campaign, 0.0))),
        }
    return table


def lift(world: World, window_s: int) -> Table:
    """Per campaign: each arm's people, converted people and rate; absolute and relative lift."""
    arms = world.exposures.groupby(["campaign_id", "person"])["holdout"].any().rename("holdout")
    # A purchase in [t, t + window] of an exposure: the same pairs as "inside" above.
    after = touches(world, window_s).query("inside")
    converted = after.groupby(["campaign_id", "person"]).size().gt(0).rename("converted")
    people = arms.to_frame().join(converted, how="left").fillna({"converted": False})
    people["converted"] = people["converted"].astype(bool)
    grouped = people.groupby(["campaign_id", "holdout"])["converted"]
    sizes, sums = grouped.size().to_dict(), grouped.sum().to_dict()
    table: Table = {}
    for campaign in sorted(world.exposures["campaign_id"].unique()):
        exposed_n = float(sizes.get((campaign, False), 0))
        exposed_c = float(sums.get((campaign, False), 0))
        holdout_n = float(sizes.get((campaign, True), 0))
        holdout_c = float(sums.get((campaign, True), 0))
        exposed_rate, holdout_rate = ratio(exposed_c, exposed_n), ratio(holdout_c, holdout_n)
        absolute = None
        relative = None
        if exposed_rate is not None and holdout_rate is not None:
            absolute = exposed_rate - holdout_rate
            relative = exposed_rate / holdout_rate - 1 if holdout_rate else None
        table[(str(campaign),)] = {
            "exposed_users": exposed_n,
            "exposed_converted": exposed_c,
            "exposed_rate": exposed_rate,
            "holdout_users": holdout_n,
            "holdout_converted": holdout_c,
            "holdout_rate": holdout_rate,
            "absolute_lift": absolute,
            "relative_lift": relative,
        }
    return table
