"""``conversions`` with fractional credit: noise, threshold and one column set per model.

Statistics (:func:`policies.calibration.credit_statistics`), with C =
max_campaigns_per_user, P = max_purchases_per_user, G the groups of the exposed users
(campaigns with a purchases dimension), M the models, epsilon / (2M + 1) each:

- exposed users per group (min(C, G)); with a purchases dimension, per campaign, the
  same noisy value on each of its rows;
- per model, credited micro-credits per group (P x 10^6: a kept purchase's credits sum
  to at most 10^6 over the groups) and credited revenue cents per group (P x cap).

A group is released when its noisy exposed users reach k (post-processing). Credited
conversions are the noisy micro-credits / 10^6, revenue the noisy cents / 100, ROAS
revenue over public spend (campaign rows only); nothing is clamped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cleanroom.engine import CreditCell, CreditCells
from cleanroom.release.intervals import NoisyCount, count_estimate, ratio_estimate
from cleanroom.release.model import Estimate, ReleasePolicy
from cleanroom.release.noise import Calibration
from cleanroom.release.templates import Table, noised_statistic
from cleanroom.release.threshold import Derive, NoisyGroup, apply_threshold
from policies import MICRO
from policies.calibration import template_statistics
from protocols import DatasetKind

MODEL_COLUMNS = ("credited_conversions", "credited_revenue", "roas")
"""Each model's columns, named ``<model>.<column>``."""


def credit_columns(models: Sequence[str]) -> tuple[str, ...]:
    """``exposed_users``, then one column set per model, in the request's order."""
    return ("exposed_users", *(f"{m}.{c}" for m in models for c in MODEL_COLUMNS))


def credit_derived(models: Sequence[str]) -> dict[str, str]:
    out = {
        "exposed_users": "noisy exposed users of the group (unclamped); with a purchases "
        "dimension: the campaign's noisy exposed users",
    }
    for m in models:
        out[f"{m}.credited_conversions"] = (
            f"noisy micro-credits under {m} / 1,000,000 (each purchase's 1 credit split "
            "over its touches, shares rounded down to whole micro-credits; unclamped)"
        )
        out[f"{m}.credited_revenue"] = (
            f"noisy credited cents under {m} / 100 (each purchase's clamped cents split "
            "as its credit, rounded down to whole cents; unclamped)"
        )
        out[f"{m}.roas"] = f"{m}.credited_revenue / spend (public spend)"
    return out


def _deriver(models: Sequence[str]) -> Derive:
    def derive(counts: Mapping[str, NoisyCount], spend: float | None) -> dict[str, Estimate | None]:
        values: dict[str, Estimate | None] = {"exposed_users": count_estimate(counts["exposed"])}
        for m in models:
            revenue = count_estimate(counts[f"cents:{m}"], per_unit=100)
            values[f"{m}.credited_conversions"] = count_estimate(
                counts[f"micro:{m}"], per_unit=MICRO
            )
            values[f"{m}.credited_revenue"] = revenue
            values[f"{m}.roas"] = ratio_estimate(revenue, spend)
        return values

    return derive


def _noisy_counts(
    found: CreditCells, policy: ReleasePolicy
) -> tuple[list[dict[str, NoisyCount]], tuple[Calibration, ...]]:
    cells, models = found.cells, [str(m) for m in found.models]
    by_purchases = found.dimension_dataset is DatasetKind.PURCHASES
    campaigns = {cell.campaign: cell.exposed for cell in cells}  # ordered, one per campaign
    bounds = policy.bounds()
    stats = template_statistics(
        "conversions",
        policy.epsilon,
        max_campaigns=bounds.max_campaigns_per_user,
        max_purchases=bounds.max_purchases_per_user,
        cap_cents=bounds.amount_cap_cents,
        groups=len(campaigns) if by_purchases else len(cells),
        credit_models=models,
        noise=policy.mechanism,
    )
    exposed_stat, per_model = stats[0], stats[1:]
    if by_purchases:
        noisy, exposed_cal = noised_statistic(exposed_stat, list(campaigns.values()))
        per_campaign = dict(zip(campaigns, noisy, strict=True))
        exposed = [per_campaign[cell.campaign] for cell in cells]
    else:
        exposed, exposed_cal = noised_statistic(exposed_stat, [c.exposed for c in cells])
    counts: list[dict[str, NoisyCount]] = [{"exposed": e} for e in exposed]
    cals = [exposed_cal]
    for i, model in enumerate(models):
        micro_stat, cents_stat = per_model[2 * i], per_model[2 * i + 1]
        micro, micro_cal = noised_statistic(micro_stat, [c.credits[i][0] for c in cells])
        cents, cents_cal = noised_statistic(cents_stat, [c.credits[i][1] for c in cells])
        for j, row in enumerate(counts):
            row[f"micro:{model}"], row[f"cents:{model}"] = micro[j], cents[j]
        cals += [micro_cal, cents_cal]
    return counts, tuple(cals)


def credit_table(found: CreditCells, policy: ReleasePolicy, by: str | None) -> Table:
    """The released rows of a fractional-credit ``conversions`` query."""
    models = [str(m) for m in found.models]
    counts, cals = _noisy_counts(found, policy)
    groups = [
        NoisyGroup(_key(cell, by), counts[i], None if by else cell.spend)
        for i, cell in enumerate(found.cells)
    ]
    columns = credit_columns(models)
    remainder = policy.remainder and found.dimension_dataset is not DatasetKind.PURCHASES
    rows, suppressed = apply_threshold(
        groups, ["exposed"], policy.k, _deriver(models), columns, remainder
    )
    keys = ("campaign", by) if by else ("campaign",)
    return Table(keys, columns, rows, suppressed, cals, credit_derived(models))


def _key(cell: CreditCell, by: str | None) -> tuple[str | None, ...]:
    return (cell.campaign, cell.dimension) if by else (cell.campaign,)
