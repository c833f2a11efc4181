"""Which noise a collaboration's releases get, and the exact zCDP <-> (epsilon, delta)
conversion its ledger relies on. Pure: no I/O, no OpenDP.

``noise: {mechanism: laplace}`` (the default, not written into the canonical form)
releases every statistic with the discrete Laplace mechanism: pure epsilon-DP.
``noise: {mechanism: gaussian, delta: 1e-9}`` releases every statistic with the
discrete Gaussian mechanism, which is rho-zCDP. A query charged ``epsilon`` (one of the
policy's ``epsilon_choices``, charged to the same epsilon ledger as under Laplace)
gets ``rho = query_rho(epsilon, delta)``, the largest rho (rounded down to 12
significant digits) with ``epsilon_of(rho, delta) <= epsilon``, split over its
statistics in the same shares as the epsilon.

The conversion (Canonne, Kamath & Steinke 2020, Prop. 12): rho-zCDP is (eps, delta)-DP
for ``eps = g(rho) = inf_alpha [alpha rho + c(alpha)]`` with ``c(alpha) = (ln(1/delta)
+ (alpha - 1) ln(alpha - 1) - alpha ln(alpha)) / (alpha - 1)``, the infimum over the
orders where ``c(alpha) >= 0`` (``alpha`` up to about ``e^(ln(1/delta) - 1)``). It gives
27-39% more rho than Bun & Steinke's ``rho + 2 sqrt(rho ln(1/delta))`` at the
epsilons of the presets. :func:`epsilon_of` evaluates ``alpha rho + c(alpha)`` at the
best order found (any order is a valid upper bound of ``g``), in 60-digit decimals.

Why the epsilon ledger stays exact: ``g`` is an infimum of functions affine in rho,
hence concave, and ``g(0) >= 0`` (only orders with ``c >= 0``), hence subadditive:
``g(rho_1 + ... + rho_n) <= g(rho_1) + ... + g(rho_n) <= eps_1 + ... + eps_n``.
rho-zCDP mechanisms compose by adding rho, so Gaussian queries whose charged epsilons
sum to ``E`` are together ``(E, delta)``-DP, with one ``delta`` (not ``n`` of them);
pure-DP queries in the same ledger add their epsilon with delta 0 (basic composition),
so the whole ledger is ``(E, delta)``-DP. The ledger forgoes zCDP's tighter
composition (a ledger of rho would allow more queries per budget); it never
understates the privacy loss.

The discrete Gaussian's variance is at most ``sigma^2`` (Canonne, Kamath & Steinke
2020, Prop. 19), so planners and intervals use ``sigma^2``: a slight over-estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Context, Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import Any

from policies import checks
from policies.exact import fraction_text, human_number, parse_fraction

MAX_DELTA = Fraction(1, 10**6)
"""The largest delta a policy may declare: the chance of an unbounded loss must stay
far below one in the population (a campaign reaches thousands to millions)."""

_PRECISION = Context(prec=60)
_DIGITS = 12


class NoiseMechanism(StrEnum):
    """``laplace``: discrete Laplace, pure epsilon-DP (the default). ``gaussian``:
    discrete Gaussian, rho-zCDP, reported as (epsilon, delta)-DP at the policy's delta."""

    LAPLACE = "laplace"
    GAUSSIAN = "gaussian"


@dataclass(frozen=True)
class NoiseRules:
    """The policy's ``noise`` section: a mechanism and, for ``gaussian``, its delta."""

    mechanism: NoiseMechanism = NoiseMechanism.LAPLACE
    delta: Fraction | None = None

    def __post_init__(self) -> None:
        checks.collect([("delta", self._check)], "noise")

    def _check(self) -> None:
        if not isinstance(self.mechanism, NoiseMechanism):
            raise ValueError(f"mechanism must be one of {', '.join(NoiseMechanism)}")
        if self.mechanism is NoiseMechanism.LAPLACE:
            if self.delta is not None:
                raise ValueError("laplace is pure DP and takes no delta")
            return
        if not isinstance(self.delta, Fraction) or not 0 < self.delta <= MAX_DELTA:
            shown = human_number(self.delta) if isinstance(self.delta, Fraction) else "none"
            raise ValueError(
                f"gaussian needs a delta above 0 and at most {human_number(MAX_DELTA)}, got {shown}"
            )

    @property
    def is_default(self) -> bool:
        return self.mechanism is NoiseMechanism.LAPLACE

    @property
    def gaussian(self) -> bool:
        return self.mechanism is NoiseMechanism.GAUSSIAN

    def query_rho(self, epsilon: Fraction) -> Fraction | None:
        """The zCDP rho of a query charged ``epsilon`` (``None`` under Laplace)."""
        if self.delta is None:
            return None
        return query_rho(Fraction(epsilon), self.delta)


def _log_inverse(delta: Fraction) -> Decimal:
    ctx = _PRECISION
    return ctx.ln(ctx.divide(Decimal(delta.denominator), Decimal(delta.numerator)))


def _decimal(value: Fraction) -> Decimal:
    return _PRECISION.divide(Decimal(value.numerator), Decimal(value.denominator))


def bun_steinke_epsilon(rho: Fraction, delta: Fraction) -> Decimal:
    """``rho + 2 sqrt(rho ln(1/delta))`` (Bun & Steinke 2016, Prop. 1.3)."""
    ctx, r = _PRECISION, _decimal(rho)
    return ctx.add(r, ctx.multiply(2, ctx.sqrt(ctx.multiply(r, _log_inverse(delta)))))


def _intercept(alpha: Decimal, log_inverse: Decimal) -> Decimal:
    """``c(alpha) = (ln(1/delta) + (alpha - 1) ln(alpha - 1) - alpha ln(alpha)) / (alpha - 1)``."""
    ctx, a1 = _PRECISION, _PRECISION.subtract(alpha, 1)
    numerator = ctx.subtract(
        ctx.add(log_inverse, ctx.multiply(a1, ctx.ln(a1))), ctx.multiply(alpha, ctx.ln(alpha))
    )
    return ctx.divide(numerator, a1)


def epsilon_at(rho: Fraction, delta: Fraction, alpha: Fraction) -> Decimal | None:
    """``alpha rho + c(alpha)``: Canonne, Kamath & Steinke 2020 (Prop. 12: rho-zCDP is
    (epsilon, delta)-DP for ``delta = exp((a-1)(a rho - epsilon)) (1 - 1/a)^a / (a-1)``)
    solved for epsilon at one order ``alpha > 1``; ``None`` where ``c(alpha) < 0`` (the
    orders kept out so the conversion stays concave with a value >= 0 at rho = 0)."""
    if alpha <= 1:
        return None
    c = _intercept(_decimal(alpha), _log_inverse(delta))
    if c < 0:
        return None
    return _PRECISION.add(_PRECISION.multiply(_decimal(alpha), _decimal(rho)), c)


def _best_alpha(rho: float, log_inverse: float) -> float:
    """The order minimizing ``alpha rho + c(alpha)`` (golden section on ln(alpha - 1);
    the function is convex there). Any order gives a valid bound; this one the tightest."""

    def f(t: float) -> float:
        a1 = math.exp(t)
        return (a1 + 1) * rho + (log_inverse + a1 * t - (a1 + 1) * math.log1p(a1)) / a1

    low, high = math.log(1e-6), log_inverse - 2.0  # c(alpha) >= 0 below alpha ~ e^(L - 1)
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(200):
        m1, m2 = high - ratio * (high - low), low + ratio * (high - low)
        low, high = (low, m2) if f(m1) <= f(m2) else (m1, high)
    return 1.0 + math.exp((low + high) / 2)


def epsilon_of(rho: Fraction, delta: Fraction) -> Decimal:
    """The epsilon at ``delta`` of a ``rho``-zCDP release: the smaller of the
    Canonne-Kamath-Steinke bound at the best order and the Bun-Steinke bound (both
    upper bounds of the one concave conversion the ledger argument uses; 60 digits)."""
    alpha = Fraction(_best_alpha(float(rho), float(_log_inverse(delta))))
    tight = epsilon_at(rho, delta, alpha)
    plain = bun_steinke_epsilon(rho, delta)
    return plain if tight is None else min(tight, plain)


@lru_cache(maxsize=256)
def query_rho(epsilon: Fraction, delta: Fraction) -> Fraction:
    """The largest rho of 12 significant digits with ``epsilon_of(rho, delta) <=
    epsilon`` (bisection from the Bun-Steinke inverse, then checked exactly)."""
    if epsilon <= 0 or not 0 < delta < 1:
        raise ValueError("epsilon must be > 0 and delta in (0, 1)")
    log = float(_log_inverse(delta))
    low = (math.sqrt(log + float(epsilon)) - math.sqrt(log)) ** 2  # Bun-Steinke: always fits
    high = 4 * low + float(epsilon)
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (
            (mid, high) if epsilon_of(Fraction(mid), delta) <= _decimal(epsilon) else (low, mid)
        )
    exact = Decimal(low)
    step = Decimal(1).scaleb(exact.adjusted() - _DIGITS + 1)
    rho = Fraction(exact.quantize(step, rounding=ROUND_FLOOR))
    while epsilon_of(rho, delta) > _decimal(epsilon):  # pragma: no cover - rounding guard
        rho -= Fraction(step)
    return rho


def gaussian_half_width(sigma: float) -> int:
    """Integer ``h`` with ``P[|X| <= h] >= 95%`` for the discrete Gaussian of parameter
    ``sigma``: ``ceil(1.96 sigma)`` (checked against the exact distribution in
    ``tests/unit/policies/test_noise.py``)."""
    return math.ceil(1.959963984540054 * sigma)


def to_canonical(rules: NoiseRules) -> dict[str, Any]:
    out: dict[str, Any] = {"mechanism": str(rules.mechanism)}
    if rules.delta is not None:
        out["delta"] = fraction_text(rules.delta)
    return out


def parse_noise(value: object) -> NoiseRules:
    """The ``noise`` section: ``{mechanism: laplace | gaussian, delta: ...}``."""
    if not isinstance(value, dict):
        raise ValueError("must be a mapping with `mechanism` (and `delta` for gaussian)")
    unknown = sorted(set(value) - {"mechanism", "delta"})
    if unknown:
        raise ValueError(f"unknown field `{unknown[0]}`; noise takes mechanism and delta")
    mechanism = value.get("mechanism", "laplace")
    if mechanism not in set(NoiseMechanism):
        raise ValueError(f"mechanism must be one of {', '.join(NoiseMechanism)}, got {mechanism!r}")
    delta = value.get("delta")
    return NoiseRules(NoiseMechanism(mechanism), None if delta is None else _parse_delta(delta))


def _parse_delta(value: object) -> Fraction:
    try:
        return parse_fraction(value)
    except ValueError:
        raise ValueError(f"delta must be a number such as 1e-9, got {value!r}") from None
