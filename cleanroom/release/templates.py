"""Per template: which statistics are noised, with what sensitivity and epsilon share,
and how released rows are derived from the noisy statistics.

Epsilon split (documented in docs/reference/privacy-guarantees.md): the query's epsilon
is divided equally, as exact fractions, among its noised statistics:

- overlap: matched, exposures-side and purchases-side users, epsilon/3 each, sensitivity 1;
- conversions (:mod:`cleanroom.release.conversions`): exposed users, converted users and
  revenue in cents, epsilon/3 each;
- lift: arm sizes (C) and converted per arm (C), epsilon/2 each;

where C = max_campaigns_per_user and P = max_purchases_per_user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from cleanroom.engine import LiftCell, OverlapCounts
from cleanroom.release.intervals import (
    NoisyCount,
    count_estimate,
    lift_estimates,
    rate_estimate,
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


def noised(
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
        noisy, cal = noised(f"{name}_users", [getattr(counts, name)], 1, share)
        groups.append(NoisyGroup((name,), {"users": noisy[0]}))
        cals.append(cal)
    rows, suppressed = apply_threshold(
        groups,
        ["users"],
        policy.k,
        lambda c, _: {"users": count_estimate(c["users"])},
        OVERLAP_COLUMNS,
    )
    return Table(("population",), OVERLAP_COLUMNS, rows, suppressed, tuple(cals))


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
    noisy_users, users_cal = noised("arm_users", users, c, share)
    noisy_conv, conv_cal = noised("arm_converted", converted, c, share)
    groups = [
        NoisyGroup(
            (cell.campaign,),
            {
                "exposed_users": noisy_users[2 * i],
                "holdout_users": noisy_users[2 * i + 1],
                "exposed_converted": noisy_conv[2 * i],
                "holdout_converted": noisy_conv[2 * i + 1],
            },
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
