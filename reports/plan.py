"""The budget reallocation plan: from released returns to next period's spend.

Post-processing of released results only: no query, no budget charged, nothing read but
the results (:mod:`reports.returns`). Two steps, each documented in
``docs/reference/plan-and-report.md``:

1. **Probability of beating the average.** Each campaign's released return is read as a
   normal distribution: mean the estimate, standard deviation the 95% interval's width
   over ``2 x 1.96``. The portfolio average is the spend-weighted mean ``A = sum w_j r_j``
   (``w`` the current spend shares). With independent campaigns (each is noised on its
   own), ``r_i - A = (1 - w_i) r_i - sum_{j != i} w_j r_j`` is normal too, so
   ``p_i = Phi(mean / sd)`` exactly, no sampling. A campaign whose interval is wide
   gets ``p`` near 1/2: little evidence, little change.
2. **The shift** (:mod:`reports.allocate`): towards ``1 + X (2p - 1)`` times the
   baseline, within the limits, total exact.

A campaign whose return was withheld (suppressed, or an unbounded interval) is *held* at
its baseline, or the minimum spend if that is higher.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from reports.allocate import Wanted, allocate, bounds
from reports.errors import ReportError
from reports.number import Number
from reports.released import Released
from reports.returns import CampaignReturn, campaign_returns

Z95 = 1.959964


@dataclass(frozen=True)
class Limits:
    """The user's limits: at most ``max_change`` (a fraction: 0.2 is 20%) up or down per
    campaign, at least ``min_spend`` each, ``total`` to spend (default: today's total)."""

    max_change: float = 0.2
    min_spend: float = 0.0
    total: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.max_change <= 1:
            raise ReportError(f"max change must be between 0% and 100%, got {self.max_change:.0%}")
        if not self.min_spend >= 0 or not math.isfinite(self.min_spend):
            raise ReportError("min spend must be a non-negative amount")
        if self.total is not None and (not self.total > 0 or not math.isfinite(self.total)):
            raise ReportError("total must be a positive amount")


@dataclass(frozen=True)
class PlanRow:
    campaign: str
    current_spend: float
    suggested_spend: float
    probability_beats_average: float | None  # None: held (no usable return)
    basis: str
    estimate: Number | None
    result_id: str

    @property
    def change(self) -> float:
        return self.suggested_spend - self.current_spend

    @property
    def change_fraction(self) -> float | None:
        return None if self.current_spend == 0 else self.change / self.current_spend


@dataclass(frozen=True)
class BudgetPlan:
    rows: tuple[PlanRow, ...]
    total: float
    average: Number | None  # the portfolio's spend-weighted average return
    basis: str
    limits: Limits
    decimals: int
    notes: tuple[str, ...] = field(default=())


def _sd(number: Number | None) -> float:
    """The standard deviation of the normal read off a 95% interval (0 without one)."""
    if number is None or number.low is None or number.high is None:
        return 0.0
    return (number.high - number.low) / (2 * Z95)


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def beats_average(campaigns: Sequence[CampaignReturn]) -> tuple[list[float], Number | None]:
    """``p_i`` for each campaign (all with a usable return), and the average itself."""
    spend = sum(c.spend for c in campaigns)
    if not campaigns or spend <= 0:
        return [0.5] * len(campaigns), None
    weights = [c.spend / spend for c in campaigns]
    means = [0.0 if c.value is None else c.value.value or 0.0 for c in campaigns]
    sds = [_sd(c.value) for c in campaigns]
    average = sum(w * m for w, m in zip(weights, means, strict=True))
    half = Z95 * math.sqrt(sum((w * s) ** 2 for w, s in zip(weights, sds, strict=True)))
    out = []
    for i, w in enumerate(weights):
        others = sum((weights[j] * sds[j]) ** 2 for j in range(len(sds)) if j != i)
        sd = math.sqrt(((1 - w) * sds[i]) ** 2 + others)
        gap = means[i] - average
        out.append(_phi(gap / sd) if sd > 0 else (0.5 if gap == 0 else float(gap > 0)))
    return out, Number(average, average - half, average + half)


def plan_budget(
    results: Sequence[Released], limits: Limits, *, decimals: int = 2, basis: str = "auto"
) -> BudgetPlan:
    """The plan for next period's spend across the campaigns of ``results``."""
    campaigns, notes = campaign_returns(results, basis)
    unit = 10**decimals
    current = [round(c.spend * unit) for c in campaigns]
    total = round(limits.total * unit) if limits.total is not None else sum(current)
    if sum(current) <= 0:
        raise ReportError("the campaigns' current spend adds up to zero: nothing to reallocate")
    baseline = [x * total / sum(current) for x in current]
    min_units = math.ceil(limits.min_spend * unit - 1e-9)
    planned = [i for i, c in enumerate(campaigns) if c.value is not None]
    held = {
        i: max(round(baseline[i]), min_units) for i in range(len(campaigns)) if i not in planned
    }
    chances, average = beats_average([campaigns[i] for i in planned])
    wanted = []
    for i, p in zip(planned, chances, strict=True):
        low, high = bounds(baseline[i], limits.max_change, min_units)
        target = baseline[i] * (1 + limits.max_change * (2 * p - 1))
        wanted.append(Wanted(baseline[i], low, high, target))
    suggested = dict(held)
    suggested.update(zip(planned, allocate(wanted, total - sum(held.values())), strict=True))
    chance = dict(zip(planned, chances, strict=True))
    rows = tuple(
        PlanRow(
            c.campaign,
            current[i] / unit,
            suggested[i] / unit,
            chance.get(i),
            c.basis if i in chance else f"held: {c.basis} not released",
            c.value,
            c.result_id,
        )
        for i, c in enumerate(campaigns)
    )
    basis_used = campaigns[0].basis
    return BudgetPlan(rows, total / unit, average, basis_used, limits, decimals, tuple(notes))
