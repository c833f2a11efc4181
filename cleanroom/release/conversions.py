"""``conversions``: noise, thresholds and derived numbers.

Statistics (:func:`policies.calibration.template_statistics`), with C =
max_campaigns_per_user, P = max_purchases_per_user, G the number of groups:

- grouped by campaign or by campaign x an exposures dimension: one histogram of cells
  group x (converted, not converted) (sensitivity min(C, G), epsilon/2): converted
  users = the converted cell, exposed users = the sum of both cells; revenue cents per
  group (P * cap, epsilon/2); a group is released when its noisy exposed users reach k;
- grouped by campaign x a purchases dimension (D values), epsilon/3 each: exposed users
  per *campaign* (min(C, G); the same noisy value is shown on each of the campaign's
  rows), converted users per group (min(P, min(C, G) * D): each group a user counts in
  holds one of their kept purchases), revenue cents per group (P * cap); a group is
  released when its noisy converted users and its campaign's noisy exposed users
  reach k. No remainder row: exposure is not split by a purchases dimension, so summed
  rows would count it twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cleanroom.engine import ConversionCell, ConversionCells
from cleanroom.release.intervals import (
    Arm,
    NoisyCount,
    count_estimate,
    rate_estimate,
    ratio_estimate,
)
from cleanroom.release.model import Estimate, ReleasePolicy
from cleanroom.release.noise import Calibration
from cleanroom.release.templates import Table, noised_statistic, statistics
from cleanroom.release.threshold import NoisyGroup, apply_threshold
from policies import Template
from protocols import DatasetKind

CONVERSION_COLUMNS = ("exposed_users", "converted_users", "conversion_rate", "revenue", "roas")


DERIVED = {
    "exposed_users": "converted + not converted cells of the group (noisy, unclamped); "
    "with a purchases dimension: the campaign's noisy exposed users",
    "converted_users": "converted cell of the group (noisy, unclamped)",
    "conversion_rate": "converted_users / exposed_users (noisy, unclamped); "
    "interval: noisy Wilson score",
    "revenue": "noisy revenue cents / 100 (unclamped)",
    "roas": "revenue / spend (public spend)",
}


def _values(counts: Mapping[str, NoisyCount], spend: float | None) -> dict[str, Estimate | None]:
    revenue = count_estimate(counts["revenue_cents"], per_unit=100)
    if "not_converted" in counts:
        arm = Arm.of_cells(counts["converted"], counts["not_converted"])
    else:
        arm = Arm(counts["converted"], counts["exposed"])
    return {
        "exposed_users": count_estimate(arm.users),
        "converted_users": count_estimate(arm.converted),
        "conversion_rate": rate_estimate(arm),
        "revenue": revenue,
        "roas": ratio_estimate(revenue, spend),
    }


def _campaign_exposed(cells: Sequence[ConversionCell]) -> dict[str, int]:
    """Each campaign's exposed users (repeated on its rows in a purchases-dimension query)."""
    return {cell.campaign: cell.exposed for cell in cells}


def _histogram_counts(
    cells: Sequence[ConversionCell], policy: ReleasePolicy
) -> tuple[list[dict[str, NoisyCount]], tuple[Calibration, ...]]:
    hist, revenue_stat = statistics(Template.CONVERSIONS, policy, groups=len(cells))
    true = [v for x in cells for v in (x.converted, x.exposed - x.converted)]
    noisy, hist_cal = noised_statistic(hist, true)
    revenue, revenue_cal = noised_statistic(revenue_stat, [x.revenue_cents for x in cells])
    counts = []
    for i in range(len(cells)):
        converted, not_converted = noisy[2 * i], noisy[2 * i + 1]
        counts.append(
            {
                "converted": converted,
                "not_converted": not_converted,
                "exposed": converted + not_converted,
                "revenue_cents": revenue[i],
            }
        )
    return counts, (hist_cal, revenue_cal)


def _by_purchases_counts(
    cells: Sequence[ConversionCell], policy: ReleasePolicy
) -> tuple[list[dict[str, NoisyCount]], tuple[Calibration, ...]]:
    campaigns = _campaign_exposed(cells)
    values = len({x.dimension for x in cells})
    exposed_stat, converted_stat, revenue_stat = statistics(
        Template.CONVERSIONS, policy, groups=len(campaigns), purchase_values=values
    )
    per_campaign, exposed_cal = noised_statistic(exposed_stat, list(campaigns.values()))
    noisy_campaign = dict(zip(campaigns, per_campaign, strict=True))
    converted, converted_cal = noised_statistic(converted_stat, [x.converted for x in cells])
    revenue, revenue_cal = noised_statistic(revenue_stat, [x.revenue_cents for x in cells])
    counts = [
        {
            "exposed": noisy_campaign[cell.campaign],
            "converted": converted[i],
            "revenue_cents": revenue[i],
        }
        for i, cell in enumerate(cells)
    ]
    return counts, (exposed_cal, converted_cal, revenue_cal)


def conversions_table(found: ConversionCells, policy: ReleasePolicy, by: str | None) -> Table:
    cells = found.cells
    by_purchases = found.dimension_dataset is DatasetKind.PURCHASES
    counted = _by_purchases_counts if by_purchases else _histogram_counts
    counts, cals = counted(cells, policy)
    groups = [
        NoisyGroup(
            (cell.campaign, cell.dimension) if by else (cell.campaign,),
            counts[i],
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
    return Table(keys, CONVERSION_COLUMNS, rows, suppressed, cals, DERIVED)
