"""``reach_frequency`` release: one histogram campaign x frequency bucket x converted.

Each user is in at most ``min(C, campaigns)`` campaigns, and in one bucket and one
converted flag of each, so the histogram has L1 sensitivity ``min(C, campaigns)`` and
gets the whole epsilon (:func:`policies.calibration.template_statistics`). A row's users
are its converted + not converted cells; its conversion rate has the noisy Wilson
interval with the covariance of that sum. A row is released iff its noisy users reach k.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cleanroom.engine import FrequencyCell
from cleanroom.release.intervals import Arm, NoisyCount, count_estimate, rate_estimate
from cleanroom.release.model import Estimate, ReleasePolicy
from cleanroom.release.templates import Table, noised_statistic, statistics
from cleanroom.release.threshold import NoisyGroup, apply_threshold
from policies import Template
from policies.buckets import frequency_labels

COLUMNS = ("users", "converted", "conversion_rate")

DERIVED = {
    "users": "exposed-arm users whose exposures to the campaign (capped at the frequency "
    "cap) fall in this frequency bucket: converted + not converted cells (noisy, unclamped)",
    "converted": "of those, users with a purchase within the window after one of their "
    "exposures to the campaign: the converted cell (noisy, unclamped)",
    "conversion_rate": "converted / users (noisy, unclamped); interval: noisy Wilson score",
}


def _values(counts: Mapping[str, NoisyCount], _: float | None) -> dict[str, Estimate | None]:
    arm = Arm.of_cells(counts["converted"], counts["not_converted"])
    return {
        "users": count_estimate(arm.users),
        "converted": count_estimate(arm.converted),
        "conversion_rate": rate_estimate(arm),
    }


def reach_frequency_table(
    cells: Sequence[FrequencyCell], buckets: Sequence[int], policy: ReleasePolicy
) -> Table:
    """``cells`` campaign-major, ``len(buckets)`` per campaign (engine order)."""
    campaigns = len(cells) // max(1, len(buckets))
    (stat,) = statistics(Template.REACH_FREQUENCY, policy, groups=campaigns)
    true = [v for c in cells for v in (c.converted, c.users - c.converted)]
    noisy, cal = noised_statistic(stat, true)
    labels = frequency_labels(buckets)
    groups = []
    for i, cell in enumerate(cells):
        counts = {"converted": noisy[2 * i], "not_converted": noisy[2 * i + 1]}
        counts["users"] = counts["converted"] + counts["not_converted"]
        groups.append(NoisyGroup((cell.campaign, labels[cell.bucket]), counts))
    rows, suppressed = apply_threshold(
        groups, ["users"], policy.k, _values, COLUMNS, policy.remainder
    )
    return Table(("campaign", "frequency"), COLUMNS, rows, suppressed, (cal,), DERIVED)
