"""Before spending budget: how precise each released number will be, and the smallest
lift each campaign could detect.

:func:`plan` takes a policy and the expected sizes of a collaboration and returns, per
campaign and statistic, the noise standard deviation and the expected 95% interval
half-width, the minimum detectable lift (two-sided 95%, 80% power) and how many queries
the budget allows. :func:`noise_lines` is the size-free part (noise only, in people
and currency) that ``cleanroom policy check`` prints.

The noise comes from :func:`policies.calibration.template_statistics`, the function the
release path itself calibrates from, so a plan and a release cannot disagree about
sensitivities, epsilon shares or scales. Rate and lift half-widths are those of the
released intervals (noisy Wilson, Newcombe, MOVER-R: :mod:`policies.intervals`, the
formulas the release path uses) evaluated at the expected counts; a release's interval
varies around them with the noise and the sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from policies.attribution import MICRO, SINGLE_TOUCH
from policies.buckets import DEFAULT_DELAY_BUCKETS
from policies.calibration import (
    Z95,
    Statistic,
    sum_half_width,
    template_statistics,
)
from policies.exact import fraction_text
from policies.intervals import (
    incremental_interval,
    mover_ratio,
    newcombe,
    revenue_sampling_variance,
    score_interval,
)
from policies.keys import CAMPAIGN
from policies.merge import EffectivePolicy
from policies.model import Policy, Template

Z80 = 0.8416212335729143
"""One-sided 80% standard normal quantile (power of the detectable lift)."""


@dataclass(frozen=True)
class Expected:
    """What a marketer expects of a collaboration, before any query.

    ``audience`` is each campaign's audience (exposed arm plus holdout arm);
    ``holdout_share`` the fraction held out; ``base_rate`` the holdout (organic)
    conversion rate within the window; ``lift`` the expected relative lift (0.1 = +10%);
    ``order_value`` the average order value (currency); ``spend`` per campaign, if
    known (for ROAS).
    """

    audience: tuple[int, ...]
    holdout_share: float = 0.1
    base_rate: float = 0.03
    lift: float = 0.1
    order_value: float = 50.0
    spend: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.audience or any(n < 1 for n in self.audience):
            problems.append("audience: give at least one campaign of at least 1 person")
        if not 0 < self.holdout_share < 1:
            problems.append("holdout_share must be between 0 and 1")
        if not 0 < self.base_rate < 1 or not 0 < self.base_rate * (1 + self.lift) < 1:
            problems.append("base_rate and base_rate x (1 + lift) must be between 0 and 1")
        if self.order_value <= 0:
            problems.append("order_value must be positive")
        if self.spend is not None and len(self.spend) != len(self.audience):
            problems.append("spend: give one value per campaign")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Precision:
    """One number: its expected value, noise sd and expected 95% half-width (noise and,
    for rates and lifts, sampling), in ``unit``."""

    statistic: str
    unit: str
    expected: float
    noise_sd: float
    half_width: float


@dataclass(frozen=True)
class CampaignPlan:
    campaign: int
    exposed_users: int
    holdout_users: int
    numbers: tuple[Precision, ...]
    detectable_absolute_lift: float
    detectable_relative_lift: float
    expected_lift_detectable: bool


@dataclass(frozen=True)
class Plan:
    epsilon: Fraction
    queries_per_period: int
    period: str
    groups: int
    mechanisms: tuple[Statistic, ...]
    campaigns: tuple[CampaignPlan, ...] = field(default=())
    overlap: tuple[Precision, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (epsilon as ``"p/q"``; an unknown expected value is ``null``)."""
        return {
            "epsilon": fraction_text(self.epsilon),
            "queries_per_period": self.queries_per_period,
            "period": self.period,
            "groups": self.groups,
            "mechanisms": [
                {
                    "statistic": m.name,
                    "mechanism": m.mechanism,
                    "sensitivity": m.sensitivity,
                    "epsilon": fraction_text(m.epsilon),
                    "scale": float(m.scale),
                    **({} if m.rho is None else {"rho": fraction_text(m.rho)}),
                }
                for m in self.mechanisms
            ],
            "overlap": [_precision_dict(n) for n in self.overlap],
            "campaigns": [
                {
                    "campaign": c.campaign,
                    "exposed_users": c.exposed_users,
                    "holdout_users": c.holdout_users,
                    "detectable_absolute_lift": _finite(c.detectable_absolute_lift),
                    "detectable_relative_lift": _finite(c.detectable_relative_lift),
                    "expected_lift_detectable": c.expected_lift_detectable,
                    "numbers": [_precision_dict(n) for n in c.numbers],
                }
                for c in self.campaigns
            ],
        }


def _precision_dict(number: Precision) -> dict[str, Any]:
    return {
        "statistic": number.statistic,
        "unit": number.unit,
        "expected": _finite(number.expected),
        "noise_sd": number.noise_sd,
        "half_width": _finite(number.half_width),
    }


def _finite(value: float) -> float | None:
    """``null`` in JSON for an unknown (NaN) or unbounded (inf) value."""
    return value if math.isfinite(value) else None


AnyPolicy = Policy | EffectivePolicy


def _stats(
    policy: AnyPolicy,
    template: Template,
    epsilon: Fraction,
    groups: int,
    credit_models: tuple[str, ...] = (),
    revenue: bool = False,
) -> tuple[Statistic, ...]:
    bounds = policy.contribution
    return template_statistics(
        template,
        epsilon,
        max_campaigns=bounds.max_campaigns_per_user,
        max_purchases=bounds.max_purchases_per_user,
        cap_cents=_cap_cents(policy),
        groups=groups,
        credit_models=credit_models,
        revenue=revenue,
        noise=policy.noise,
    )


def _credit_lines(policy: AnyPolicy, epsilon: Fraction, groups: int) -> list[NoiseLine]:
    """Fractional credit: one model alone, and the comparison of every allowed model
    (the epsilon split over 2M + 1 statistics)."""
    allowed = tuple(sorted(str(m) for m in policy.attribution.models))
    if not set(policy.attribution.models) - SINGLE_TOUCH:
        return []
    lines = []
    for models, label in (((allowed[0],), "1 model"), (allowed, f"{len(allowed)} models")):
        exposed, micro, cents = _stats(policy, Template.CONVERSIONS, epsilon, groups, models)[:3]
        sd_credit, hw_credit = (x / MICRO for x in _cell(micro))
        sd_rev, hw_rev = (x / 100 for x in _cell(cents))
        lines += [
            NoiseLine("attribution", f"exposed users ({label})", "people", *_cell(exposed), True),
            NoiseLine("attribution", f"credited conv. ({label})", "credits", sd_credit, hw_credit),
            NoiseLine("attribution", f"credited revenue ({label})", "currency", sd_rev, hw_rev),
        ]
    return lines


def _cap_cents(policy: AnyPolicy) -> int:
    return int(Fraction(policy.contribution.amount_cap) * 100)


def _cell(stat: Statistic) -> tuple[float, float]:
    return math.sqrt(stat.variance), float(stat.half_width)


def _two_cells(stat: Statistic) -> tuple[float, float]:
    variance = 2 * stat.variance
    return math.sqrt(variance), sum_half_width(variance, stat.half_width)


def rate_sd(users: float, rate: float, cell_variance: float, tail: float = 1.0) -> float:
    """Sd of a released rate from histogram cells (converted, not converted): sampling
    ``p (1 - p) / n`` plus noise ``((1 - p)^2 + p^2) V / n^2`` (times ``tail``)."""
    noise = tail * cell_variance * ((1 - rate) ** 2 + rate**2)
    return math.sqrt(rate * (1 - rate) / users + noise / users**2)


def _rate_noise_sd(users: float, rate: float, cell_variance: float) -> float:
    return math.sqrt(cell_variance * ((1 - rate) ** 2 + rate**2)) / users


def _rate_interval(users: float, rate: float, v: float) -> tuple[float, float]:
    """The interval the release would compute at the expected counts (histogram cells)."""
    return score_interval(users * rate, users, v, 2 * v, v)


def _half(interval: tuple[float, float]) -> float:
    low, high = interval
    return (high - low) / 2


def detectable_lift(n_e: float, n_h: float, p_h: float, v: float) -> float:
    """Smallest absolute lift ``d`` whose released interval excludes 0 with 80% power:
    ``d = L(d) + z_0.8 sd(d)``, ``L`` the lower side of the released interval at the
    expected counts, ``sd`` the sampling and noise sd of the released lift."""
    d = (Z95 + Z80) * math.hypot(rate_sd(n_e, p_h, v), rate_sd(n_h, p_h, v))
    for _ in range(50):
        p_e = min(p_h + d, 1.0)
        low, _ = newcombe(p_e, _rate_interval(n_e, p_e, v), p_h, _rate_interval(n_h, p_h, v))
        sd = math.hypot(rate_sd(n_e, p_e, v), rate_sd(n_h, p_h, v))
        d_next = (p_e - p_h - low) + Z80 * sd
        if p_h + d_next >= 1.0:
            return math.inf
        if abs(d_next - d) < 1e-9:
            return d_next
        d = d_next
    return d


def _lift_numbers(
    stat: Statistic, n_e: int, n_h: int, p_e: float, p_h: float
) -> tuple[tuple[Precision, ...], float]:
    v = stat.variance
    sd_cell, hw_cell = _cell(stat)
    sd_users, hw_users = _two_cells(stat)
    e, h = _rate_interval(n_e, p_e, v), _rate_interval(n_h, p_h, v)
    absolute = newcombe(p_e, e, p_h, h)
    relative = mover_ratio(p_e, e, p_h, h)
    noise_abs = math.hypot(_rate_noise_sd(n_e, p_e, v), _rate_noise_sd(n_h, p_h, v))
    numbers = (
        Precision("lift.exposed_users", "people", n_e, sd_users, hw_users),
        Precision("lift.holdout_users", "people", n_h, sd_users, hw_users),
        Precision("lift.exposed_converted", "people", n_e * p_e, sd_cell, hw_cell),
        Precision("lift.holdout_converted", "people", n_h * p_h, sd_cell, hw_cell),
        Precision("lift.exposed_rate", "rate", p_e, _rate_noise_sd(n_e, p_e, v), _half(e)),
        Precision("lift.holdout_rate", "rate", p_h, _rate_noise_sd(n_h, p_h, v), _half(h)),
        Precision("lift.absolute_lift", "rate", p_e - p_h, noise_abs, _half(absolute)),
        Precision("lift.relative_lift", "ratio", p_e / p_h - 1, noise_abs / p_h, _half(relative)),
    )
    return numbers, detectable_lift(n_e, n_h, p_h, v)


def _conversion_numbers(
    stats: tuple[Statistic, ...], n_e: int, p_e: float, order_value: float, spend: float | None
) -> tuple[Precision, ...]:
    cells, revenue = stats
    sd_cell, hw_cell = _cell(cells)
    sd_users, hw_users = _two_cells(cells)
    sd_rev, hw_rev = (x / 100 for x in _cell(revenue))
    converted = n_e * p_e
    numbers = [
        Precision("conversions.exposed_users", "people", n_e, sd_users, hw_users),
        Precision("conversions.converted_users", "people", converted, sd_cell, hw_cell),
        Precision(
            "conversions.conversion_rate",
            "rate",
            p_e,
            _rate_noise_sd(n_e, p_e, cells.variance),
            _half(_rate_interval(n_e, p_e, cells.variance)),
        ),
        Precision("conversions.revenue", "currency", converted * order_value, sd_rev, hw_rev),
    ]
    if spend:
        roas = converted * order_value / spend
        numbers.append(Precision("conversions.roas", "ratio", roas, sd_rev / spend, hw_rev / spend))
    return tuple(numbers)


def _credit_numbers(
    policy: AnyPolicy, epsilon: Fraction, groups: int, converted: float, order_value: float
) -> tuple[Precision, ...]:
    """A one-model fractional-credit query (``linear``, ``position_based``, ...): its
    credited conversions (about one per converted user's purchase) and revenue; empty
    when the policy allows single-touch models only. A comparison of M models is
    noisier by (2M + 1) / 3 (``noise_lines``)."""
    models = sorted(str(m) for m in set(policy.attribution.models) - SINGLE_TOUCH)
    if not models:
        return ()
    _, micro, cents = _stats(policy, Template.CONVERSIONS, epsilon, groups, (models[0],))[:3]
    sd_credit, hw_credit = (x / MICRO for x in _cell(micro))
    sd_rev, hw_rev = (x / 100 for x in _cell(cents))
    return (
        Precision("attribution.credited_conversions", "credits", converted, sd_credit, hw_credit),
        Precision("attribution.credited_revenue", "currency", converted * order_value, sd_rev,
                  hw_rev),
    )  # fmt: skip


def _incremental_numbers(
    revenue: Statistic, arms: tuple[int, int], users_variance: float, expected: Expected, i: int
) -> tuple[Precision, ...]:
    """Exposed, holdout and incremental revenue and incremental ROAS of a lift query with
    spend: the Fieller interval the release computes, at the expected values (cents)."""
    n_e, n_h = arms
    p_h = expected.base_rate
    p_e = p_h * (1 + expected.lift)
    spend = expected.spend[i] if expected.spend else 0.0
    r_e, r_h = n_e * p_e * expected.order_value * 100, n_h * p_h * expected.order_value * 100
    bound = revenue.sensitivity  # at least P x cap: one campaign's per-user bound
    v = revenue.variance
    sampling = (
        revenue_sampling_variance(r_e, n_e, bound),
        revenue_sampling_variance(r_h, n_h, bound),
    )
    low, high = incremental_interval(
        (r_e, r_h), (v, v), sampling, (n_e, n_h), (users_variance, users_variance)
    )
    sd_rev, hw_rev = (x / 100 for x in _cell(revenue))
    sd_inc = math.sqrt(v + (n_e / n_h) ** 2 * v) / 100
    incremental = (r_e - r_h * n_e / n_h) / 100
    half = (high - low) / 200
    numbers = [
        Precision("lift.exposed_revenue", "currency", r_e / 100, sd_rev, hw_rev),
        Precision("lift.holdout_revenue", "currency", r_h / 100, sd_rev, hw_rev),
        Precision("lift.incremental_revenue", "currency", incremental, sd_inc, half),
    ]
    if spend:
        numbers.append(
            Precision(
                "lift.incremental_roas", "ratio", incremental / spend, sd_inc / spend, half / spend
            )
        )
    return tuple(numbers)


def queries_per_period(policy: AnyPolicy, epsilon: Fraction) -> int:
    """How many queries of ``epsilon`` one budget period allows."""
    return math.floor(Fraction(policy.budget.epsilon) / Fraction(epsilon))


def _overlap_numbers(stat: Statistic) -> tuple[Precision, ...]:
    sd_cell, hw_cell = _cell(stat)
    sd_sum, hw_sum = _two_cells(stat)
    return (
        Precision("overlap.matched", "people", math.nan, sd_cell, hw_cell),
        Precision("overlap.exposures", "people", math.nan, sd_sum, hw_sum),
        Precision("overlap.purchases", "people", math.nan, sd_sum, hw_sum),
    )


def plan(policy: AnyPolicy, expected: Expected, epsilon: Fraction | None = None) -> Plan:
    """The precision of every number of a lift and a conversions query (each spending
    ``epsilon``, default the largest allowed epsilon) over ``expected``."""
    epsilon = Fraction(epsilon if epsilon is not None else max(policy.epsilon_choices))
    groups = len(expected.audience)
    lift = _stats(policy, Template.LIFT, epsilon, groups, revenue=expected.spend is not None)
    conversions = _stats(policy, Template.CONVERSIONS, epsilon, groups)
    overlap = _stats(policy, Template.OVERLAP, epsilon, 1)
    p_h = expected.base_rate
    p_e = p_h * (1 + expected.lift)
    campaigns = []
    for i, audience in enumerate(expected.audience):
        n_h = max(1, round(audience * expected.holdout_share))
        n_e = max(1, audience - n_h)
        numbers, detectable = _lift_numbers(lift[0], n_e, n_h, p_e, p_h)
        if len(lift) > 1:
            numbers += _incremental_numbers(lift[1], (n_e, n_h), 2 * lift[0].variance, expected, i)
        spend = expected.spend[i] if expected.spend else None
        numbers += _conversion_numbers(conversions, n_e, p_e, expected.order_value, spend)
        numbers += _credit_numbers(policy, epsilon, groups, n_e * p_e, expected.order_value)
        campaigns.append(
            CampaignPlan(
                campaign=i + 1,
                exposed_users=n_e,
                holdout_users=n_h,
                numbers=numbers,
                detectable_absolute_lift=detectable,
                detectable_relative_lift=detectable / p_h,
                expected_lift_detectable=p_e - p_h >= detectable,
            )
        )
    return Plan(
        epsilon=epsilon,
        queries_per_period=queries_per_period(policy, epsilon),
        period=policy.budget.period.words(),
        groups=groups,
        mechanisms=(*overlap, *conversions, *lift),
        campaigns=tuple(campaigns),
        overlap=_overlap_numbers(overlap[0]),
    )


@dataclass(frozen=True)
class NoiseLine:
    """Noise of one statistic of one template, in the data's units (``people``,
    ``currency``, or ``credits``: credited conversions, one per purchase)."""

    template: str
    statistic: str
    unit: str
    noise_sd: float
    half_width: float
    thresholded: bool = False
    """True for the noisy user counts the k threshold reads."""

    def k_over_half_width(self, k: int) -> float:
        """The threshold ``k`` as a multiple of this statistic's 95% noise half-width."""
        return k / self.half_width


def default_groups(policy: AnyPolicy) -> int:
    """The policy's declared campaign keys, or (none declared yet) as many as
    ``max_campaigns_per_user``: the largest sensitivity a query could have."""
    campaigns = policy.keys.for_column(CAMPAIGN)
    if campaigns is None or not campaigns.keys():
        return policy.contribution.max_campaigns_per_user
    return len(campaigns.keys())


def noise_lines(policy: AnyPolicy, groups: int | None = None) -> list[NoiseLine]:
    """Noise sd and 95% half-width of every statistic of every allowed template, for a
    query spending the largest allowed epsilon (what a query that names none spends) with
    ``groups`` campaigns (default: :func:`default_groups`); none when no epsilon is allowed."""
    if not policy.epsilon_choices:
        return []
    epsilon = max(policy.epsilon_choices)
    groups = groups if groups is not None else default_groups(policy)
    lines = []
    if Template.OVERLAP in policy.templates:
        (cells,) = _stats(policy, Template.OVERLAP, epsilon, 1)
        lines += [
            NoiseLine("overlap", "matched users", "people", *_cell(cells), True),
            NoiseLine("overlap", "users on each side", "people", *_two_cells(cells), True),
        ]
    if Template.CONVERSIONS in policy.templates:
        cells, revenue = _stats(policy, Template.CONVERSIONS, epsilon, groups)
        sd_rev, hw_rev = (x / 100 for x in _cell(revenue))
        lines += [
            NoiseLine("conversions", "converted users per group", "people", *_cell(cells)),
            NoiseLine("conversions", "exposed users per group", "people", *_two_cells(cells), True),
            NoiseLine("conversions", "revenue per group", "currency", sd_rev, hw_rev),
        ]
        lines += _credit_lines(policy, epsilon, groups)
    if Template.LIFT in policy.templates:
        (cells,) = _stats(policy, Template.LIFT, epsilon, groups)
        with_spend, revenue = _stats(policy, Template.LIFT, epsilon, groups, revenue=True)
        sd_rev, hw_rev = (x / 100 for x in _cell(revenue))
        lines += [
            NoiseLine("lift", "converted users per arm", "people", *_cell(cells)),
            NoiseLine("lift", "users per arm", "people", *_two_cells(cells), True),
            NoiseLine("lift", "converted per arm (spend)", "people", *_cell(with_spend)),
            NoiseLine("lift", "revenue per arm (spend)", "currency", sd_rev, hw_rev),
        ]
    return lines + _loop_noise_lines(policy, epsilon, groups)


def _loop_noise_lines(policy: AnyPolicy, epsilon: Fraction, groups: int) -> list[NoiseLine]:
    """The closed-loop templates' lines: one histogram each (calibration's table)."""
    lines = []
    if Template.REACH_FREQUENCY in policy.templates:
        (cells,) = _stats(policy, Template.REACH_FREQUENCY, epsilon, groups)
        lines += [
            NoiseLine("reach_frequency", "converted users per bucket", "people", *_cell(cells)),
            NoiseLine("reach_frequency", "users per bucket", "people", *_two_cells(cells), True),
        ]
    if Template.TIME_TO_CONVERSION in policy.templates:
        (cells,) = _stats(policy, Template.TIME_TO_CONVERSION, epsilon, groups)
        total = _sum_of_cells(cells, len(DEFAULT_DELAY_BUCKETS) + 1)
        lines += [
            NoiseLine("time_to_conversion", "purchases per bucket", "purchases", *_cell(cells)),
            NoiseLine("time_to_conversion", "purchases per campaign (5 buckets)", "purchases",
                      *total, True),
        ]  # fmt: skip
    if Template.FUNNEL in policy.templates:
        (cells,) = _stats(policy, Template.FUNNEL, epsilon, groups)
        repeated = NoiseLine("funnel", "repeated users", "people", *_cell(cells))
        exposed = _sum_of_cells(cells, 4)
        lines += [repeated, NoiseLine("funnel", "exposed users", "people", *exposed, True)]
    return lines


def _sum_of_cells(stat: Statistic, cells: int) -> tuple[float, float]:
    variance = cells * stat.variance
    return math.sqrt(variance), sum_half_width(variance, stat.half_width)
