"""Interval formulas shared by the release path and the planner (pure, floats only).

:mod:`cleanroom.release.intervals` applies them to noisy released counts;
:mod:`policies.power` applies them to expected counts, so the planner predicts the
intervals the release will compute. The formulas and their coverage are described in
``docs/reference/queries.md`` ("How intervals are formed").
"""

from __future__ import annotations

import math

from policies.calibration import LAPLACE_TAIL, Z95


def score_interval(
    c: float, n: float, vc: float, vn: float, cov: float = 0.0
) -> tuple[float, float]:
    """Noisy Wilson interval of the rate ``c / n`` (``n > 0``) within [0, 1]: the ``p``
    with ``(c - p n)^2 <= z^2 [n p (1 - p) + k (vc - 2 p cov + p^2 vn)]``, where ``vc``,
    ``vn`` are the noise variances of ``c`` and ``n``, ``cov`` their covariance and ``k``
    :data:`~policies.calibration.LAPLACE_TAIL`."""
    z2 = Z95 * Z95
    a = n * n + z2 * n - z2 * LAPLACE_TAIL * vn
    b = -2.0 * c * n - z2 * n + 2.0 * z2 * LAPLACE_TAIL * cov
    k = c * c - z2 * LAPLACE_TAIL * vc
    return solution_hull(a, b, k)


def solution_hull(a: float, b: float, k: float) -> tuple[float, float]:
    """Hull of ``{p in [0, 1]: a p^2 + b p + k <= 0}`` (the argmin when it is empty)."""

    def f(p: float) -> float:
        return (a * p + b) * p + k

    candidates = [0.0, 1.0]
    disc = b * b - 4.0 * a * k
    if a != 0 and disc >= 0:
        root = math.sqrt(disc)
        candidates += [(-b - root) / (2 * a), (-b + root) / (2 * a)]
    elif a == 0 and b != 0:
        candidates.append(-k / b)
    inside = [p for p in candidates if 0.0 <= p <= 1.0 and f(p) <= 1e-9 * (abs(k) + 1)]
    if inside:
        return min(inside), max(inside)
    best = min((0.0, 1.0, min(max(-b / (2 * a), 0.0), 1.0) if a > 0 else 0.0), key=f)
    return best, best


def clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def newcombe(
    pe: float, e: tuple[float, float], ph: float, h: tuple[float, float]
) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``pe - ph`` from the arms' intervals."""
    te, th = clip(pe, *e), clip(ph, *h)
    d = te - th
    low = d - math.hypot(te - e[0], h[1] - th)
    high = d + math.hypot(e[1] - te, th - h[0])
    return max(low, -1.0), min(high, 1.0)


def mover_ratio(
    t1: float, i1: tuple[float, float], t2: float, i2: tuple[float, float]
) -> tuple[float, float]:
    """MOVER-R interval of ``t1 / t2`` from independent intervals (``t2 > 0``)."""
    (l1, u1), (l2, u2) = i1, i2
    if l1 <= 0:
        low = 0.0
    else:  # smallest root of (t1 - R t2)^2 = (t1 - l1)^2 + R^2 (u2 - t2)^2, stable form
        a, c0 = t2 * t2 - (u2 - t2) ** 2, l1 * (2 * t1 - l1)
        low = c0 / (t1 * t2 + math.sqrt(max(t1 * t1 * t2 * t2 - a * c0, 0.0)))
    if l2 <= 0:
        return low, math.inf
    a, c1 = l2 * (2 * t2 - l2), u1 * (2 * t1 - u1)
    high = (t1 * t2 + math.sqrt(max(t1 * t1 * t2 * t2 - a * c1, 0.0))) / a
    return low, max(high, low)


def incremental_interval(
    revenue: tuple[float, float],
    revenue_noise: tuple[float, float],
    sampling: tuple[float, float],
    users: tuple[float, float],
    users_noise: tuple[float, float],
) -> tuple[float, float]:
    """Fieller interval of the incremental revenue ``r_e - r_h n_e / n_h`` (pairs are
    (exposed, holdout): noisy revenue, its noise variance, its sampling variance, noisy
    users, their noise variance; ``n_h > 0``).

    For the true value ``t``, ``g(t) = r_e n_h - r_h n_e - t n_h`` has mean 0 exactly
    (the four noises are independent with mean 0, and the sampling errors of the two
    arms' revenue too), with variance ``n_h^2 (Va + Se) + n_e^2 (Vb + Sh) + (r_e - t)^2
    Vd + r_h^2 Vc + Va Vd + Vb Vc``. The interval is ``{t: g(t)^2 <= z^2 k Var g(t)}``
    (``k`` :data:`~policies.calibration.LAPLACE_TAIL` for Laplace tails), a quadratic
    in ``t`` solved exactly; when the holdout users are not clearly above 0 (``n_h^2 <=
    z^2 k Vd``) it is unbounded: ``(-inf, inf)``."""
    (re, rh), (va, vb), (se, sh), (ne, nh), (vc, vd) = (
        revenue,
        revenue_noise,
        sampling,
        users,
        users_noise,
    )
    q = Z95 * Z95 * LAPLACE_TAIL
    d = re * nh - rh * ne
    w = nh * nh * (va + se) + ne * ne * (vb + sh) + rh * rh * vc + va * vd + vb * vc
    a = nh * nh - q * vd
    if a <= 0:
        return -math.inf, math.inf
    b = -2.0 * nh * d + 2.0 * q * vd * re
    c = d * d - q * (w + vd * re * re)
    root = math.sqrt(max(b * b - 4.0 * a * c, 0.0))
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def revenue_sampling_variance(revenue: float, users: float, bound: float) -> float:
    """An upper bound on the sampling variance of an arm's revenue (a sum over ``users``
    of per-user revenues in ``[0, bound]``): ``n mu (bound - mu)`` with ``mu`` the noisy
    per-user mean clipped to ``[0, bound]`` (Bhatia-Davis: no distribution on ``[0, M]``
    with mean ``mu`` has a larger variance)."""
    if users <= 0:
        return 0.0
    mu = clip(revenue / users, 0.0, bound)
    return users * mu * (bound - mu)
