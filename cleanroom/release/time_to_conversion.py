"""``time_to_conversion`` release: one histogram campaign x delay bucket of kept purchases.

Each user contributes at most ``P = max_purchases_per_user`` kept purchases and each
lands in exactly one cell, so the histogram has L1 sensitivity ``P`` and gets the whole
epsilon (:func:`policies.calibration.template_statistics`). A bucket's share of its
campaign's purchases is ``bucket / total`` with the noisy Wilson interval (the total is
the sum of the campaign's cells, so its noise covaries with the bucket's by the
bucket's variance). A campaign's rows are released iff its noisy total of purchases
reaches k (all of its buckets together; no remainder row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import reduce
from operator import add

from cleanroom.engine import DelayCell
from cleanroom.release.intervals import Arm, NoisyCount, count_estimate, rate_estimate
from cleanroom.release.model import Estimate, ReleasePolicy
from cleanroom.release.templates import Table, noised_statistic, statistics
from cleanroom.release.threshold import NoisyGroup, apply_threshold
from policies import Template

COLUMNS = ("purchases", "campaign_purchases", "share")

DERIVED = {
    "purchases": "kept purchases attributed to the campaign whose delay since the "
    "attributed exposure falls in this bucket: the bucket's cell (noisy, unclamped)",
    "campaign_purchases": "the campaign's kept attributed purchases: the sum of its "
    "delay cells (noisy, unclamped); the rows are released iff it reaches k",
    "share": "purchases / campaign_purchases (noisy, unclamped); interval: noisy Wilson "
    "score with the covariance of the sum",
}


def _values(counts: Mapping[str, NoisyCount], _: float | None) -> dict[str, Estimate | None]:
    bucket, total = counts["purchases"], counts["campaign_purchases"]
    return {
        "purchases": count_estimate(bucket),
        "campaign_purchases": count_estimate(total),
        "share": rate_estimate(Arm(bucket, total, bucket.variance)),
    }


def time_to_conversion_table(
    cells: Sequence[DelayCell], labels: Sequence[str], policy: ReleasePolicy
) -> Table:
    """``cells`` campaign-major, ``len(labels)`` per campaign (engine order)."""
    per = max(1, len(labels))
    (stat,) = statistics(Template.TIME_TO_CONVERSION, policy, groups=len(cells) // per)
    noisy, cal = noised_statistic(stat, [c.purchases for c in cells])
    groups = []
    for start in range(0, len(cells), per):
        campaign = noisy[start : start + per]
        total = reduce(add, campaign)
        for cell, count in zip(cells[start : start + per], campaign, strict=True):
            counts = {"purchases": count, "campaign_purchases": total}
            groups.append(NoisyGroup((cell.campaign, labels[cell.bucket]), counts))
    rows, suppressed = apply_threshold(groups, ["campaign_purchases"], policy.k, _values, COLUMNS)
    return Table(("campaign", "delay"), COLUMNS, rows, suppressed, (cal,), DERIVED)
