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
  arm = converted + not converted; with a spend dataset, also revenue cents per
  campaign x arm (sensitivity min(C, campaigns) x P x cap), each at half the epsilon;
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
    incremental_estimates,
    lift_estimates,
    rate_estimate,
)
from cleanroom.release.model import Estimate, ReleasePolicy, ResultRow
from cleanroom.release.noise import Calibration, release_statistic, release_vector
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
    template: Template,
    policy: ReleasePolicy,
    groups: int,
    purchase_values: int | None = None,
    revenue: bool = False,
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
        revenue=revenue,
        noise=policy.mechanism,
    )


def noised_statistic(
    stat: Statistic, values: Sequence[int]
) -> tuple[list[NoisyCount], Calibration]:
    """``values`` noised by ``stat``'s mechanism (discrete Laplace or Gaussian)."""
    vector = release_statistic(stat, values)
    cal = vector.calibration
    return [NoisyCount.of(v, cal) for v in vector.values], cal


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
    "exposed_revenue",
    "holdout_revenue",
    "incremental_revenue",
    "spend",
    "incremental_roas",
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

LIFT_REVENUE_DERIVED = {
    "exposed_revenue": "noisy exposed-arm revenue cents / 100 (unclamped); null without "
    "a spend dataset",
    "holdout_revenue": "noisy holdout-arm revenue cents / 100 (unclamped)",
    "incremental_revenue": "exposed_revenue - holdout_revenue * exposed_users / "
    "holdout_users (null when holdout_users <= 0); interval: Fieller over the four "
    "noises plus a Bhatia-Davis bound on each arm's sampling variance (per-user revenue "
    "in [0, P x cap]), unbounded (null ends) when holdout_users is not clearly above 0",
    "spend": "the campaign's spend (public: summed from the spend dataset)",
    "incremental_roas": "incremental_revenue / spend (null without positive spend); "
    "interval: the incremental revenue interval divided by spend",
}


def _revenue_values(
    counts: Mapping[str, NoisyCount], exposed: Arm, holdout: Arm, spend: float | None
) -> dict[str, Estimate | None]:
    if "exposed_revenue_cents" not in counts:
        return dict.fromkeys(LIFT_REVENUE_DERIVED)
    bound = int(counts["revenue_bound"].value)
    ec, hc = counts["exposed_revenue_cents"], counts["holdout_revenue_cents"]
    incremental, roas = incremental_estimates(ec, hc, exposed, holdout, bound, spend)
    return {
        "exposed_revenue": count_estimate(ec, per_unit=100),
        "holdout_revenue": count_estimate(hc, per_unit=100),
        "incremental_revenue": incremental,
        "spend": None if spend is None else Estimate(spend, spend, spend),
        "incremental_roas": roas,
    }


def _lift_values(
    counts: Mapping[str, NoisyCount], spend: float | None
) -> dict[str, Estimate | None]:
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
        **_revenue_values(counts, exposed, holdout, spend),
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


def _lift_revenue(
    cells: Sequence[LiftCell], stat: Statistic, policy: ReleasePolicy
) -> tuple[list[dict[str, NoisyCount]], Calibration]:
    """Noisy exposed and holdout revenue cents of every campaign (one vector), and the
    public per-user bound P x cap carried along for the sampling term of the interval."""
    true = [v for c in cells for v in (c.exposed_revenue_cents or 0, c.holdout_revenue_cents or 0)]
    noisy, cal = noised_statistic(stat, true)
    bounds = policy.bounds()
    bound = NoisyCount(bounds.max_purchases_per_user * bounds.amount_cap_cents, 0.0, 0.0)
    per_campaign = [
        {
            "exposed_revenue_cents": noisy[2 * i],
            "holdout_revenue_cents": noisy[2 * i + 1],
            "revenue_bound": bound,
        }
        for i in range(len(cells))
    ]
    return per_campaign, cal


def lift_table(cells: Sequence[LiftCell], policy: ReleasePolicy) -> Table:
    revenue = bool(cells) and all(cell.revenue for cell in cells)
    stats = statistics(Template.LIFT, policy, groups=len(cells), revenue=revenue)
    true = [v for cell in cells for v in _lift_true_cells(cell)]
    noisy, cal = noised_statistic(stats[0], true)
    cals = [cal]
    revenues: list[dict[str, NoisyCount]] = [{} for _ in cells]
    if revenue:
        revenues, revenue_cal = _lift_revenue(cells, stats[1], policy)
        cals.append(revenue_cal)
    groups = []
    for i, cell in enumerate(cells):
        counts = dict(zip(_LIFT_CELLS, noisy[4 * i : 4 * i + 4], strict=True))
        counts["exposed_users"] = counts["exposed_converted"] + counts["exposed_not_converted"]
        counts["holdout_users"] = counts["holdout_converted"] + counts["holdout_not_converted"]
        counts.update(revenues[i])
        groups.append(NoisyGroup((cell.campaign,), counts, cell.spend if revenue else None))
    rows, suppressed = apply_threshold(
        groups,
        ["exposed_users", "holdout_users"],
        policy.k,
        _lift_values,
        LIFT_COLUMNS,
        policy.remainder,
    )
    derived = {**LIFT_DERIVED, **LIFT_REVENUE_DERIVED} if revenue else LIFT_DERIVED
    return Table(("campaign",), LIFT_COLUMNS, rows, suppressed, tuple(cals), derived)
