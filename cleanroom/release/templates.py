"""Per template: which statistics are noised, with what sensitivity and epsilon share,
and how released rows are derived from the noisy statistics.

The statistics, sensitivities and epsilon shares come from
:func:`policies.calibration.template_statistics` (the one source, shared with the power
planner; documented in docs/reference/privacy-guarantees.md). Where a template's
numbers are overlapping counts, it noises one histogram over disjoint cells with the
whole share instead, and derives the counts as sums (post-processing):

- overlap: cells exposures only / purchases only / both (sensitivity 1): matched = both,
  exposures = exposures only + both, purchases = purchases only + both;
- lift: cells campaign x arm x converted (sensitivity min(C, campaigns)): users of an
  arm = converted + not converted;
- conversions (:mod:`cleanroom.release.conversions`): cells group x converted, plus
  revenue cents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from cleanroom.engine import LiftCell, OverlapCounts
from cleanroom.release.intervals import (
    Arm,
    NoisyCount,
    count_estimate,
    lift_estimates,
    rate_estimate,
)
from cleanroom.release.model import Estimate, ReleasePolicy, ResultRow
from cleanroom.release.noise import Calibration, release_vector
from cleanroom.release.threshold import NoisyGroup, apply_threshold
from policies import Template
from policies.calibration import Statistic, template_statistics


@dataclass(frozen=True)
class Table:
    key_columns: tuple[str, ...]
    value_columns: tuple[str, ...]
    rows: list[ResultRow]
    rows_suppressed: int
    mechanisms: tuple[Calibration, ...]
    derived: Mapping[str, str]


def noised(
    statistic: str, values: Sequence[int], sensitivity: int, epsilon: Fraction
) -> tuple[list[NoisyCount], Calibration]:
    vector = release_vector(statistic, values, sensitivity, epsilon)
    cal = vector.calibration
    return [NoisyCount.of(v, cal) for v in vector.values], cal


def statistics(
    template: Template, policy: ReleasePolicy, groups: int, purchase_values: int | None = None
) -> tuple[Statistic, ...]:
    """The noised statistics of ``template`` under ``policy`` with ``groups`` groups."""
    bounds = policy.bounds()
    return template_statistics(
        template,
        policy.epsilon,
        max_campaigns=bounds.max_campaigns_per_user,
        max_purchases=bounds.max_purchases_per_user,
        cap_cents=bounds.amount_cap_cents,
        groups=groups,
        purchase_values=purchase_values,
    )


def noised_statistic(
    stat: Statistic, values: Sequence[int]
) -> tuple[list[NoisyCount], Calibration]:
    return noised(stat.name, values, stat.sensitivity, stat.epsilon)


OVERLAP_COLUMNS = ("users",)


OVERLAP_DERIVED = {
    "users": "matched = both cell; exposures = exposures-only + both cells; "
    "purchases = purchases-only + both cells (one histogram, noisy, unclamped)",
}


def overlap_table(counts: OverlapCounts, policy: ReleasePolicy) -> Table:
    (stat,) = statistics(Template.OVERLAP, policy, groups=1)
    m = counts.matched
    cells, cal = noised_statistic(stat, [counts.exposures - m, counts.purchases - m, m])
    exposures_only, purchases_only, both = cells
    noisy = {
        "matched": both,
        "exposures": exposures_only + both,
        "purchases": purchases_only + both,
    }
    groups = [
        NoisyGroup((name,), {"users": noisy[name]})
        for name in ("matched", "exposures", "purchases")
    ]
    rows, suppressed = apply_threshold(
        groups,
        ["users"],
        policy.k,
        lambda c, _: {"users": count_estimate(c["users"])},
        OVERLAP_COLUMNS,
    )
    return Table(("population",), OVERLAP_COLUMNS, rows, suppressed, (cal,), OVERLAP_DERIVED)


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


LIFT_DERIVED = {
    "exposed_converted": "exposed converted cell (noisy, unclamped)",
    "holdout_converted": "holdout converted cell (noisy, unclamped)",
    "exposed_users": "exposed converted + exposed not converted cells",
    "holdout_users": "holdout converted + holdout not converted cells",
    "exposed_rate": "exposed_converted / exposed_users (noisy, unclamped); "
    "interval: noisy Wilson score",
    "holdout_rate": "holdout_converted / holdout_users (noisy, unclamped); "
    "interval: noisy Wilson score",
    "absolute_lift": "exposed_rate - holdout_rate; interval: Newcombe hybrid score",
    "relative_lift": "exposed_rate / holdout_rate - 1 (null when holdout_rate <= 0); "
    "interval: MOVER-R, unbounded above (null) when the holdout interval reaches 0",
}


def _lift_values(counts: Mapping[str, NoisyCount], _: float | None) -> dict[str, Estimate | None]:
    exposed = Arm.of_cells(counts["exposed_converted"], counts["exposed_not_converted"])
    holdout = Arm.of_cells(counts["holdout_converted"], counts["holdout_not_converted"])
    absolute, relative = lift_estimates(exposed, holdout)
    return {
        "exposed_users": count_estimate(exposed.users),
        "exposed_converted": count_estimate(exposed.converted),
        "exposed_rate": rate_estimate(exposed),
        "holdout_users": count_estimate(holdout.users),
        "holdout_converted": count_estimate(holdout.converted),
        "holdout_rate": rate_estimate(holdout),
        "absolute_lift": absolute,
        "relative_lift": relative,
    }


_LIFT_CELLS = (
    "exposed_converted",
    "exposed_not_converted",
    "holdout_converted",
    "holdout_not_converted",
)


def _lift_true_cells(cell: LiftCell) -> tuple[int, int, int, int]:
    return (
        cell.exposed_converted,
        cell.exposed - cell.exposed_converted,
        cell.holdout_converted,
        cell.holdout - cell.holdout_converted,
    )


def lift_table(cells: Sequence[LiftCell], policy: ReleasePolicy) -> Table:
    (stat,) = statistics(Template.LIFT, policy, groups=len(cells))
    true = [v for cell in cells for v in _lift_true_cells(cell)]
    noisy, cal = noised_statistic(stat, true)
    groups = []
    for i, cell in enumerate(cells):
        counts = dict(zip(_LIFT_CELLS, noisy[4 * i : 4 * i + 4], strict=True))
        counts["exposed_users"] = counts["exposed_converted"] + counts["exposed_not_converted"]
        counts["holdout_users"] = counts["holdout_converted"] + counts["holdout_not_converted"]
        groups.append(NoisyGroup((cell.campaign,), counts))
    rows, suppressed = apply_threshold(
        groups,
        ["exposed_users", "holdout_users"],
        policy.k,
        _lift_values,
        LIFT_COLUMNS,
        policy.remainder,
    )
    return Table(("campaign",), LIFT_COLUMNS, rows, suppressed, (cal,), LIFT_DERIVED)
