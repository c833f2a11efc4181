"""``funnel`` release: one histogram campaign x deepest stage, stage counts as suffix sums.

Each user is in at most ``min(C, campaigns)`` campaigns and in exactly one deepest-stage
cell of each, so the histogram has L1 sensitivity ``min(C, campaigns)`` and gets the
whole epsilon (:func:`policies.calibration.template_statistics`). A stage's users are
the sum of the deepest cells from it on (post-processing). A step rate ``S[j+1] / S[j]``
has the noisy Wilson interval with covariance ``Var(S[j+1])`` (``S[j]`` is ``S[j+1]``
plus independent cells). A campaign is released iff its noisy exposed users reach k.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cleanroom.engine import FunnelCell
from cleanroom.engine.model import FUNNEL_STAGES
from cleanroom.release.intervals import Arm, NoisyCount, count_estimate, rate_estimate
from cleanroom.release.model import Estimate, ReleasePolicy
from cleanroom.release.templates import Table, noised_statistic, statistics
from cleanroom.release.threshold import NoisyGroup, apply_threshold
from policies import Template

RATES = {
    "match_rate": ("matched", "exposed"),
    "conversion_rate": ("converted", "matched"),
    "repeat_rate": ("repeated", "converted"),
    "exposed_conversion_rate": ("converted", "exposed"),
}
COLUMNS = (*FUNNEL_STAGES, *RATES)

DERIVED = {
    "exposed": "exposed-arm users of the campaign: the sum of its four deepest-stage "
    "cells (noisy, unclamped)",
    "matched": "of those, users with any purchase at the retailer: sum of the matched, "
    "converted and repeated deepest-stage cells",
    "converted": "of those, users with a purchase within the window after an exposure "
    "to the campaign: sum of the converted and repeated cells",
    "repeated": "of those, users who bought again within the horizon after their first "
    "converting purchase: the repeated cell",
    **{
        name: f"{num} / {den} (noisy, unclamped); interval: noisy Wilson score with the "
        f"covariance of the suffix sums"
        for name, (num, den) in RATES.items()
    },
}


def stage_counts(deepest: Sequence[NoisyCount]) -> dict[str, NoisyCount]:
    """Noisy users per stage from the noisy deepest-stage cells: suffix sums."""
    counts: dict[str, NoisyCount] = {}
    suffix = deepest[-1]
    counts[FUNNEL_STAGES[-1]] = suffix
    for stage, count in zip(FUNNEL_STAGES[-2::-1], deepest[-2::-1], strict=True):
        suffix = count + suffix
        counts[stage] = suffix
    return counts


def stage_values(
    counts: Mapping[str, NoisyCount], _: float | None = None
) -> dict[str, Estimate | None]:
    """Released stage counts and step rates (with intervals) of one campaign."""
    values: dict[str, Estimate | None] = {s: count_estimate(counts[s]) for s in FUNNEL_STAGES}
    for name, (num, den) in RATES.items():
        values[name] = rate_estimate(Arm(counts[num], counts[den], counts[num].variance))
    return values


def funnel_table(cells: Sequence[FunnelCell], policy: ReleasePolicy) -> Table:
    (stat,) = statistics(Template.FUNNEL, policy, groups=len(cells))
    noisy, cal = noised_statistic(stat, [v for c in cells for v in c.deepest])
    width = len(FUNNEL_STAGES)
    groups = []
    for i, cell in enumerate(cells):
        counts = stage_counts(noisy[width * i : width * i + width])
        groups.append(NoisyGroup((cell.campaign,), counts))
    rows, suppressed = apply_threshold(
        groups, ["exposed"], policy.k, stage_values, COLUMNS, policy.remainder
    )
    return Table(("campaign",), COLUMNS, rows, suppressed, (cal,), DERIVED)
