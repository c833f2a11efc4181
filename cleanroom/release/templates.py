"""Per template: which statistics are noised, with what sensitivity and epsilon share,
and how released rows are derived from the noisy statistics.

Epsilon split (documented in docs/reference/privacy-guarantees.md): the query's epsilon
is divided equally, as exact fractions, among its noised statistics:

- overlap: matched, exposures-side and purchases-side users, epsilon/3 each, sensitivity 1;
- conversions: exposed users (sensitivity C), converted users (C) and revenue in cents
  (P * cap_cents), epsilon/3 each;
- lift: arm sizes (C) and converted per arm (C), epsilon/2 each;

where C = max_campaigns_per_user and P = max_purchases_per_user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from cleanroom.engine import ConversionCell, LiftCell, OverlapCounts
from cleanroom.release.intervals import (
    NoisyCount,
    count_estimate,
    lift_estimates,
    rate_estimate,
    ratio_estimate,
)
from cleanroom.release.model import Estimate, ReleasePolicy, ResultRow
from cleanroom.release.noise import Calibration, release_vector
from cleanroom.release.threshold import NoisyGroup, apply_threshold


@dataclass(frozen=True)
class Table:
    key_columns: tuple[str, ...]
    value_columns: tuple[str, ...]
    rows: list[ResultRow]
    rows_suppressed: int
    mechanisms: tuple[Calibration, ...]


def _noised(
    statistic: str, values: Sequence[int], sensitivity: int, epsilon: Fraction
) -> tuple[list[NoisyCount], Calibration]:
    vector = release_vector(statistic, values, sensitivity, epsilon)
    cal = vector.calibration
    return [NoisyCount.of(v, cal) for v in vector.values], cal


OVERLAP_COLUMNS = ("users",)


def _overlap_values(
    counts: Mapping[str, NoisyCount], _: float | None
) -> dict[str, Estimate | None]:
    return {"users": count_estimate(counts["users"])}


def overlap_table(counts: OverlapCounts, policy: ReleasePolicy) -> Table:
    share = policy.epsilon / 3
    groups, cals = [], []
    for name in ("matched", "exposures", "purchases"):
        noisy, cal = _noised(f"{name}_users", [getattr(counts, name)], 1, share)
        true = getattr(counts, name)
        groups.append(NoisyGroup((name,), {"users": noisy[0]}, {"users": true}))
        cals.append(cal)
    rows, suppressed = apply_threshold(
        groups,
        ["users"],
        policy.k,
        lambda c, _: {"users": count_estimate(c["users"])},
        OVERLAP_COLUMNS,
    )
    return Table(("population",), OVERLAP_COLUMNS, rows, suppressed, tuple(cals))


CONVERSION_COLUMNS = ("exposed_users", "converted_users", "conversion_rate", "revenue", "roas")


def _conversion_values(
    counts: Mapping[str, NoisyCount], spend: float | None
) -> dict[str, Estimate | None]:
    revenue = count_estimate(counts["revenue_cents"], per_unit=100)
    return {
        "exposed_users": count_estimate(counts["exposed"]),
        "converted_users": count_estimate(counts["converted"]),
        "conversion_rate": rate_estimate(counts["converted"], counts["exposed"]),
        "revenue": revenue,
        "roas": ratio_estimate(revenue, spend),
    }


def conversions_table(
    cells: Sequence[ConversionCell], policy: ReleasePolicy, by: str | None
) -> Table:
    bounds = policy.bounds()
    share = policy.epsilon / 3
    c, p = bounds.max_campaigns_per_user, bounds.max_purchases_per_user
    specs = (
        ("exposed", [x.exposed for x in cells], c),
        ("converted", [x.converted for x in cells], c),
        ("revenue_cents", [x.revenue_cents for x in cells], p * bounds.amount_cap_cents),
    )
    noised = {name: _noised(name, values, sens, share) for name, values, sens in specs}
    groups = [
        NoisyGroup(
            (cell.campaign, cell.dimension) if by else (cell.campaign,),
            {name: noised[name][0][i] for name in noised},
            {"exposed": cell.exposed},
            None if by else cell.spend,  # spend is per campaign: no ROAS per sub-group
        )
        for i, cell in enumerate(cells)
    ]
    rows, suppressed = apply_threshold(
        groups, ["exposed"], policy.k, _conversion_values, CONVERSION_COLUMNS, policy.remainder
    )
    keys = ("campaign", by) if by else ("campaign",)
    cals = tuple(noised[name][1] for name in noised)
    return Table(keys, CONVERSION_COLUMNS, rows, suppressed, cals)


LIFT_COLUMNS = (
    "exposed_users",
    "exposed_converted",
    "exposed_rate",
    "holdout_users",
    "holdout_converted",
    "holdout_rate",
    "absolute_lift",
    "relative_lift",
)


def _lift_values(counts: Mapping[str, NoisyCount], _: float | None) -> dict[str, Estimate | None]:
    e_users, e_conv = counts["exposed_users"], counts["exposed_converted"]
    h_users, h_conv = counts["holdout_users"], counts["holdout_converted"]
    absolute, relative = lift_estimates((e_conv, e_users), (h_conv, h_users))
    return {
        "exposed_users": count_estimate(e_users),
        "exposed_converted": count_estimate(e_conv),
        "exposed_rate": rate_estimate(e_conv, e_users),
        "holdout_users": count_estimate(h_users),
        "holdout_converted": count_estimate(h_conv),
        "holdout_rate": rate_estimate(h_conv, h_users),
        "absolute_lift": absolute,
        "relative_lift": relative,
    }


def lift_table(cells: Sequence[LiftCell], policy: ReleasePolicy) -> Table:
    share = policy.epsilon / 2
    c = policy.bounds().max_campaigns_per_user
    users = [v for x in cells for v in (x.exposed, x.holdout)]
    converted = [v for x in cells for v in (x.exposed_converted, x.holdout_converted)]
    noisy_users, users_cal = _noised("arm_users", users, c, share)
    noisy_conv, conv_cal = _noised("arm_converted", converted, c, share)
    groups = [
        NoisyGroup(
            (cell.campaign,),
            {
                "exposed_users": noisy_users[2 * i],
                "holdout_users": noisy_users[2 * i + 1],
                "exposed_converted": noisy_conv[2 * i],
                "holdout_converted": noisy_conv[2 * i + 1],
            },
            {"exposed_users": cell.exposed, "holdout_users": cell.holdout},
        )
        for i, cell in enumerate(cells)
    ]
    rows, suppressed = apply_threshold(
        groups,
        ["exposed_users", "holdout_users"],
        policy.k,
        _lift_values,
        LIFT_COLUMNS,
        policy.remainder,
    )
    return Table(("campaign",), LIFT_COLUMNS, rows, suppressed, (users_cal, conv_cal))
