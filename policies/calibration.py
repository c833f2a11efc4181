"""How much noise a query gets: the one source of the sensitivities, epsilon split and
noise scale of every statistic, for the release path and for planning alike.

The server (:mod:`cleanroom.release`) asks :func:`template_statistics` which
statistics a template noises, with which L1 sensitivity and which epsilon share, then
calibrates each one with OpenDP (which may raise the scale by a few float steps so that
its own privacy map stays within the share). The power planner
(:mod:`policies.power`) and ``cleanroom policy check`` use the same values before any
budget is spent. Pure: no I/O, no OpenDP.

With ``C = max_campaigns_per_user``, ``P = max_purchases_per_user``, ``G`` the number of
groups of the query (declared keys: campaigns, or campaign x exposures-dimension value):

===========================  ===========================================  ============
template                     statistic (sensitivity)                      epsilon
===========================  ===========================================  ============
overlap                      one histogram: exposures only / purchases     whole
                             only / both (1: a user is in one cell)
lift                         one histogram: campaign x arm x converted     whole
                             (min(C, G): one cell per kept campaign)
lift with spend              the histogram above (min(C, G));              1/2
                             revenue cents per campaign x arm              1/2
                             (min(C, G) x P x cap: a purchase counts in
                             each kept campaign whose window holds it)
conversions                  one histogram: group x converted              1/2
                             (min(C, G)); revenue cents (P x cap)          1/2
conversions by a purchases   exposed users per campaign (min(C, G));      1/3 each
dimension of D values        converted per (campaign, value)
                             (min(P, min(C, G) x D)); revenue (P x cap)
conversions with fractional  exposed users per group (min(C, G)); per      1/(2M+1)
credit, M models (any        model: credited micro-credits (P x 10^6)      each
``by``)                      and credited revenue cents (P x cap)
reach_frequency              one histogram: campaign x frequency bucket    whole
                             x converted (min(C, G): one bucket and one
                             flag per kept campaign)
time_to_conversion           one histogram: campaign x delay bucket of     whole
                             kept purchases (P: each kept purchase lands
                             in one cell)
funnel                       one histogram: campaign x deepest stage       whole
                             (min(C, G): one stage per kept campaign)
===========================  ===========================================  ============

Fractional credit (``linear``, ``position_based``, ``time_decay``, ``w_shaped``, or a
comparison of several models): each kept purchase gives 1 credit, in whole
micro-credits (:data:`policies.attribution.MICRO` per purchase, each group's share
rounded down), and its clamped cents (each group's share rounded down) to the touches
in its window, so one user moves the credits of all groups together by at most ``P``
credits and the revenue by at most ``P x cap``, whatever the model.


Proofs: docs/reference/privacy-guarantees.md; property tests:
``tests/property/test_templates_reference.py`` and ``test_loop_templates_reference.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from policies.attribution import MICRO
from policies.model import Template
from policies.noise import NoiseRules, gaussian_half_width

ALPHA = 0.05
"""Significance of every released interval (95%)."""

Z95 = 1.959963984540054
"""Two-sided 95% standard normal quantile."""

LAPLACE_TAIL = (math.log(1 / ALPHA) / math.sqrt(2) / Z95) ** 2
"""Variance inflation that makes a normal 95% interval as wide as a Laplace one of the
same variance (``(ln 20 / sqrt 2 / 1.96)^2``, about 1.168): the noise part of a rate or
lift pivot is Laplace-tailed, so its variance is counted with this weight."""


SUM_Z = Z95 * math.sqrt(LAPLACE_TAIL)
"""2.118: the 95% half-width of a Laplace variable in standard deviations. A sum of
independent Laplace noises is no heavier-tailed than one Laplace of the same variance,
so ``ceil(SUM_Z * sd)`` is a 95% half-width for any such sum."""


def sum_half_width(variance: float, widest: float = 0.0) -> float:
    """95% half-width of a sum of independent discrete Laplace noises of total
    ``variance`` whose widest single half-width is ``widest``."""
    return max(widest, math.ceil(SUM_Z * math.sqrt(variance)))


@dataclass(frozen=True)
class Statistic:
    """One noised statistic: its name, L1 sensitivity and epsilon share; its squared L2
    sensitivity (``l2_squared``, 0: the same as L1, i.e. all in one cell) and, under
    the Gaussian policy, its zCDP ``rho`` share (then it is a discrete Gaussian)."""

    name: str
    sensitivity: int
    epsilon: Fraction
    l2_squared: int = 0
    rho: Fraction | None = None

    def __post_init__(self) -> None:
        if self.sensitivity < 1 or self.epsilon <= 0:
            raise ValueError("sensitivity must be >= 1 and epsilon > 0")
        if self.l2_squared == 0:
            object.__setattr__(self, "l2_squared", self.sensitivity**2)
        if not 1 <= self.l2_squared <= self.sensitivity**2 or (
            self.rho is not None and self.rho <= 0
        ):
            raise ValueError("l2_squared must be in [1, sensitivity^2] and rho > 0")

    @property
    def gaussian(self) -> bool:
        return self.rho is not None

    @property
    def mechanism(self) -> str:
        return "discrete_gaussian" if self.gaussian else "discrete_laplace"

    @property
    def scale(self) -> Fraction:
        """The nominal scale: discrete Laplace ``sensitivity / epsilon``; discrete
        Gaussian ``sigma = L2 / sqrt(2 rho)`` (as a Fraction of the float). The release
        path starts here and may move up a few float steps, see
        ``cleanroom.release.noise.calibrate``."""
        if self.rho is None:
            return Fraction(self.sensitivity) / self.epsilon
        return Fraction(gaussian_sigma(self.l2_squared, self.rho))

    @property
    def variance(self) -> float:
        if self.gaussian:
            return float(self.scale) ** 2
        return discrete_laplace_variance(float(self.scale))

    @property
    def half_width(self) -> int:
        if self.gaussian:
            return gaussian_half_width(float(self.scale))
        return discrete_laplace_half_width(float(self.scale))


def gaussian_sigma(l2_squared: int, rho: Fraction) -> float:
    """``sqrt(l2_squared / (2 rho))``: the discrete Gaussian sigma at which a release of
    squared L2 sensitivity ``l2_squared`` is ``rho``-zCDP."""
    return math.sqrt(Fraction(l2_squared) / (2 * rho))


def with_noise(
    stats: tuple[Statistic, ...], epsilon: Fraction, noise: NoiseRules | None
) -> tuple[Statistic, ...]:
    """``stats`` under the policy's noise: unchanged for Laplace; for Gaussian each gets
    the query's rho (:func:`policies.noise.query_rho`) in its epsilon share."""
    rho = None if noise is None else noise.query_rho(Fraction(epsilon))
    if rho is None:
        return stats
    return tuple(replace(s, rho=rho * s.epsilon / Fraction(epsilon)) for s in stats)


def discrete_laplace_variance(scale: float) -> float:
    """Var of P(x) ~ exp(-|x|/scale) on the integers: 2q/(1-q)^2 with q = exp(-1/scale)."""
    q = math.exp(-1.0 / scale)
    return 2.0 * q / (1.0 - q) ** 2


def discrete_laplace_accuracy(scale: float, alpha: float = ALPHA) -> float:
    """``a`` with ``P[|X| >= a] = alpha`` for the discrete Laplace (OpenDP's
    ``discrete_laplacian_scale_to_accuracy``): ``scale * ln(2 / (alpha (1 + q)))``."""
    q = math.exp(-1.0 / scale)
    return scale * math.log(2.0 / (alpha * (1.0 + q)))


def discrete_laplace_half_width(scale: float, alpha: float = ALPHA) -> int:
    """Integer half-width ``h`` with ``P[|X| <= h] >= 1 - alpha`` (``floor`` of the
    accuracy: ``P[|X| > h] = P[|X| >= h + 1] < alpha``)."""
    return math.floor(discrete_laplace_accuracy(scale, alpha))


def _users(name: str, sensitivity: int, epsilon: Fraction) -> Statistic:
    """A histogram of user counts: one user moves each of at most ``sensitivity`` cells
    by at most 1, so its squared L2 sensitivity is ``sensitivity`` (L2 = sqrt(L1))."""
    return Statistic(name, sensitivity, Fraction(epsilon), l2_squared=sensitivity)


def _share(epsilon: Fraction, parts: int) -> Fraction:
    return Fraction(epsilon) / parts


def template_statistics(
    template: Template | str,
    epsilon: Fraction,
    *,
    max_campaigns: int,
    max_purchases: int,
    cap_cents: int,
    groups: int,
    purchase_values: int | None = None,
    credit_models: Sequence[str] = (),
    revenue: bool = False,
    noise: NoiseRules | None = None,
) -> tuple[Statistic, ...]:
    """The noised statistics of one query, in release order (see the module table);
    ``noise``: the policy's noise rules (Gaussian: each statistic gets its rho share).

    ``groups`` is the number of declared groups (campaigns, or campaign x exposures
    dimension value; campaigns with a purchases dimension of ``purchase_values``
    values). ``credit_models`` names the models of a fractional-credit ``conversions``
    query (then ``groups`` counts the groups of the exposed users: campaigns with a
    purchases dimension). ``revenue``: the lift query has a spend dataset, so it also
    releases revenue per arm (incremental revenue and ROAS). Sensitivities never go
    below 1 (an empty query still records a scale).
    """
    stats = _statistics(
        Template(template),
        Fraction(epsilon),
        (max_campaigns, max_purchases, cap_cents, groups),
        purchase_values,
        tuple(credit_models),
        revenue,
    )
    return with_noise(stats, Fraction(epsilon), noise)


def _statistics(
    template: Template,
    epsilon: Fraction,
    sizes: tuple[int, int, int, int],
    purchase_values: int | None,
    credit_models: tuple[str, ...],
    revenue: bool,
) -> tuple[Statistic, ...]:
    max_campaigns, max_purchases, cap_cents, groups = sizes
    per_user = max(1, min(max_campaigns, groups))
    revenue_bound = max_purchases * cap_cents
    if template is Template.CONVERSIONS and credit_models:
        return credit_statistics(epsilon, per_user, max_purchases, revenue_bound, credit_models)
    if template is Template.OVERLAP:
        return (_users("overlap_cells", 1, Fraction(epsilon)),)
    if template is Template.LIFT:
        if not revenue:
            return (_users("lift_cells", per_user, Fraction(epsilon)),)
        half = _share(epsilon, 2)
        return (
            _users("lift_cells", per_user, half),
            Statistic(
                "lift_revenue_cents",
                max(1, per_user * revenue_bound),
                half,
                l2_squared=max(1, per_user * revenue_bound**2),
            ),
        )
    if template is Template.REACH_FREQUENCY:
        return (_users("frequency_cells", per_user, Fraction(epsilon)),)
    if template is Template.TIME_TO_CONVERSION:
        return (Statistic("delay_cells", max_purchases, Fraction(epsilon)),)
    if template is Template.FUNNEL:
        return (_users("funnel_cells", per_user, Fraction(epsilon)),)
    if purchase_values is None:
        half = _share(epsilon, 2)
        return (
            _users("conversion_cells", per_user, half),
            Statistic("revenue_cents", revenue_bound, half),
        )
    third = _share(epsilon, 3)
    converted = max(1, min(max_purchases, per_user * purchase_values))
    return (
        _users("exposed", per_user, third),
        _users("converted", converted, third),
        Statistic("revenue_cents", revenue_bound, third),
    )


def credit_statistics(
    epsilon: Fraction, per_user: int, max_purchases: int, revenue: int, models: Sequence[str]
) -> tuple[Statistic, ...]:
    """Exposed users (``per_user`` = min(C, G)), then per model its credited
    micro-credits (P x 10^6) and credited revenue cents (P x cap): ``2M + 1``
    statistics of an equal share each, so the comparison of M models costs the query's
    epsilon once."""
    share = _share(epsilon, 2 * len(models) + 1)
    out = [_users("exposed", per_user, share)]
    for model in models:
        out.append(Statistic(f"credited_micro:{model}", max_purchases * MICRO, share))
        out.append(Statistic(f"credited_revenue_cents:{model}", revenue, share))
    return tuple(out)
