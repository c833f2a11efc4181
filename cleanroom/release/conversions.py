"""``conversions``: noise, thresholds and derived numbers.

Statistics (epsilon/3 each), with C = max_campaigns_per_user, P = max_purchases_per_user:

- grouped by campaign or by campaign x an exposures dimension: exposed users per group
  (sensitivity C), converted users per group (C), revenue cents per group (P * cap);
  a group is released when its noisy exposed users reach k;
- grouped by campaign x a purchases dimension (D values): exposed users per *campaign*
  (C; the same noisy value is shown on each of the campaign's rows), converted users per
  group (min(P, C * D): each group a user counts in holds one of their kept purchases),
  revenue cents per group (P * cap); a group is released when its noisy converted users
  and its campaign's noisy exposed users reach k. No remainder row: exposure is
  not split by a purchases dimension, so summed rows would count it twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cleanroom.engine import ConversionCell, ConversionCells
from cleanroom.release.intervals import (
    NoisyCount,
    count_estimate,
    rate_estimate,
    ratio_estimate,
)
from cleanroom.release.model import Estimate, ReleasePolicy
from cleanroom.release.templates import Table, noised
from cleanroom.release.threshold import NoisyGroup, apply_threshold
from protocols import DatasetKind

CONVERSION_COLUMNS = ("exposed_users", "converted_users", "conversion_rate", "revenue", "roas")


def _values(counts: Mapping[str, NoisyCount], spend: float | None) -> dict[str, Estimate | None]:
    revenue = count_estimate(counts["revenue_cents"], per_unit=100)
    return {
        "exposed_users": count_estimate(counts["exposed"]),
        "converted_users": count_estimate(counts["converted"]),
        "conversion_rate": rate_estimate(counts["converted"], counts["exposed"]),
        "revenue": revenue,
        "roas": ratio_estimate(revenue, spend),
    }


def _campaign_exposed(cells: Sequence[ConversionCell]) -> dict[str, int]:
    """Each campaign's exposed users (repeated on its rows in a purchases-dimension query)."""
    return {cell.campaign: cell.exposed for cell in cells}


def conversions_table(found: ConversionCells, policy: ReleasePolicy, by: str | None) -> Table:
    bounds = policy.bounds()
    share = policy.epsilon / 3
    c, p = bounds.max_campaigns_per_user, bounds.max_purchases_per_user
    cells = found.cells
    by_purchases = found.dimension_dataset is DatasetKind.PURCHASES
    revenue, revenue_cal = noised(
        "revenue_cents", [x.revenue_cents for x in cells], p * bounds.amount_cap_cents, share
    )
    if by_purchases:
        campaigns = _campaign_exposed(cells)
        values = len({x.dimension for x in cells})
        per_campaign, exposed_cal = noised("exposed", list(campaigns.values()), c, share)
        noisy_campaign = dict(zip(campaigns, per_campaign, strict=True))
        exposed = [noisy_campaign[x.campaign] for x in cells]
        converted_sensitivity = max(1, min(p, c * values))  # 1 when there are no rows
    else:
        exposed, exposed_cal = noised("exposed", [x.exposed for x in cells], c, share)
        converted_sensitivity = c
    converted, converted_cal = noised(
        "converted", [x.converted for x in cells], converted_sensitivity, share
    )
    groups = [
        NoisyGroup(
            (cell.campaign, cell.dimension) if by else (cell.campaign,),
            {"exposed": exposed[i], "converted": converted[i], "revenue_cents": revenue[i]},
            None if by else cell.spend,  # spend is per campaign: no ROAS per sub-group
        )
        for i, cell in enumerate(cells)
    ]
    size = ["exposed", "converted"] if by_purchases else ["exposed"]
    remainder = policy.remainder and not by_purchases
    rows, suppressed = apply_threshold(
        groups, size, policy.k, _values, CONVERSION_COLUMNS, remainder
    )
    keys = ("campaign", by) if by else ("campaign",)
    cals = (exposed_cal, converted_cal, revenue_cal)
    return Table(keys, CONVERSION_COLUMNS, rows, suppressed, cals)
