"""Typed inputs and the typed result of :func:`cleanroom.release.release`.

All frozen values. Epsilon is a :class:`fractions.Fraction`; the result serializes it as
``"p/q"`` text so nothing drifts through a float.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from cleanroom.engine import Attribution, ContributionBounds, CreditSettings, GroupKeys
from cleanroom.engine.model import token_column
from cleanroom.release.noise import GAUSSIAN, Calibration
from policies.noise import NoiseRules


@dataclass(frozen=True)
class ReleasePolicy:
    """The effective policy values one release needs (from ``policies`` evaluation).

    ``amount_cap`` is in currency units and is applied in whole cents (rounded down).
    ``remainder`` folds suppressed groups into one extra row (itself thresholded).
    ``keys`` are the declared groups of the query (required by conversions and lift;
    the groups are never read from the data). ``mechanism``: the policy's noise
    (discrete Laplace, or discrete Gaussian with a zCDP rho per query at its delta).
    """

    epsilon: Fraction
    k: int
    max_campaigns_per_user: int
    max_purchases_per_user: int
    amount_cap: Fraction
    remainder: bool = False
    keys: GroupKeys | None = None
    mechanism: NoiseRules = field(default_factory=NoiseRules)

    def __post_init__(self) -> None:
        if not isinstance(self.epsilon, Fraction) or self.epsilon <= 0:
            raise ValueError(f"epsilon must be a positive Fraction, got {self.epsilon!r}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"k must be a whole number of at least 1, got {self.k!r}")
        if Fraction(self.amount_cap) * 100 < 1:
            raise ValueError(f"amount_cap must be at least 0.01, got {self.amount_cap}")
        self.bounds()  # validates the two per-user bounds

    def bounds(self) -> ContributionBounds:
        cap_cents = int(Fraction(self.amount_cap) * 100)  # floor: never above the cap
        return ContributionBounds(
            self.max_campaigns_per_user, self.max_purchases_per_user, cap_cents
        )


@dataclass(frozen=True)
class OverlapRequest:
    template: ClassVar[str] = "overlap"
    join_family: str

    def __post_init__(self) -> None:
        token_column(self.join_family)

    def parameters(self) -> dict[str, Any]:
        return {"join_family": self.join_family}


@dataclass(frozen=True)
class ConversionsRequest:
    """``credit`` set: fractional credit under its models (one column set per model);
    unset: ``attribution`` (``last_touch`` or ``first_touch``) gives each purchase to
    one group and the converted users are released."""

    template: ClassVar[str] = "conversions"
    join_family: str
    window_seconds: int
    attribution: Attribution = Attribution.LAST_TOUCH
    by: str | None = None
    credit: CreditSettings | None = None

    def __post_init__(self) -> None:
        token_column(self.join_family)
        _check_window(self.window_seconds)
        if self.credit is None and Attribution(self.attribution) not in (
            Attribution.LAST_TOUCH,
            Attribution.FIRST_TOUCH,
        ):
            raise ValueError(f"{self.attribution} splits credit: give its CreditSettings")

    def parameters(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "join_family": self.join_family,
            "window_seconds": self.window_seconds,
            "attribution": str(Attribution(self.attribution)),
            "by": self.by,
        }
        if self.credit is not None:
            out["credit"] = self.credit.parameters()
        return out


@dataclass(frozen=True)
class LiftRequest:
    template: ClassVar[str] = "lift"
    join_family: str
    window_seconds: int

    def __post_init__(self) -> None:
        token_column(self.join_family)
        _check_window(self.window_seconds)

    def parameters(self) -> dict[str, Any]:
        return {"join_family": self.join_family, "window_seconds": self.window_seconds}


@dataclass(frozen=True)
class ReachFrequencyRequest:
    """``buckets``: lower edges of the frequency buckets (from 1, increasing, each at
    most ``cap``); ``cap``: exposures counted per user and campaign at most."""

    template: ClassVar[str] = "reach_frequency"
    join_family: str
    window_seconds: int
    buckets: tuple[int, ...]
    cap: int

    def __post_init__(self) -> None:
        token_column(self.join_family)
        _check_window(self.window_seconds)
        if not self.buckets or self.buckets[0] != 1 or self.buckets[-1] > self.cap:
            raise ValueError("frequency buckets start at 1 and stay within the cap")
        if any(b <= a for a, b in zip(self.buckets, self.buckets[1:], strict=False)):
            raise ValueError("frequency buckets must be strictly increasing")

    def parameters(self) -> dict[str, Any]:
        return {
            "join_family": self.join_family,
            "window_seconds": self.window_seconds,
            "frequency_buckets": list(self.buckets),
            "frequency_cap": self.cap,
        }


@dataclass(frozen=True)
class TimeToConversionRequest:
    """``boundaries``: inner delay-bucket boundaries in seconds (increasing, each
    shorter than the window); ``labels`` name the buckets."""

    template: ClassVar[str] = "time_to_conversion"
    join_family: str
    window_seconds: int
    boundaries: tuple[int, ...]
    labels: tuple[str, ...]
    attribution: Attribution = Attribution.LAST_TOUCH

    def __post_init__(self) -> None:
        token_column(self.join_family)
        _check_window(self.window_seconds)
        Attribution(self.attribution)
        edges = (0, *self.boundaries)
        inside = not self.boundaries or self.boundaries[-1] < self.window_seconds
        if not inside or any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError("delay boundaries must be positive, increasing, within the window")
        if len(self.labels) != len(self.boundaries) + 1:
            raise ValueError("one label per delay bucket")

    def parameters(self) -> dict[str, Any]:
        return {
            "join_family": self.join_family,
            "window_seconds": self.window_seconds,
            "attribution": str(Attribution(self.attribution)),
            "delay_buckets": list(self.labels),
        }


@dataclass(frozen=True)
class FunnelRequest:
    template: ClassVar[str] = "funnel"
    join_family: str
    window_seconds: int
    horizon_seconds: int

    def __post_init__(self) -> None:
        token_column(self.join_family)
        _check_window(self.window_seconds)
        _check_window(self.horizon_seconds)

    def parameters(self) -> dict[str, Any]:
        return {
            "join_family": self.join_family,
            "window_seconds": self.window_seconds,
            "horizon_seconds": self.horizon_seconds,
        }


TemplateRequest = (
    OverlapRequest
    | ConversionsRequest
    | LiftRequest
    | ReachFrequencyRequest
    | TimeToConversionRequest
    | FunnelRequest
)


def _check_window(seconds: int) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ValueError(f"window_seconds must be a whole number >= 0, got {seconds!r}")


@dataclass(frozen=True)
class Estimate:
    """A released number and its 95% interval ``[low, high]``. Nothing is clamped: a
    noisy count may be negative. ``high`` is ``inf`` for an interval unbounded above
    (a relative lift whose holdout rate may be 0), serialized as ``null``."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class ResultRow:
    """One group: its key values, its released numbers (``None`` when withheld), and
    whether it was suppressed (then every number is ``None``) or is the remainder."""

    key: tuple[str | None, ...]
    values: dict[str, Estimate | None]
    suppressed: bool = False
    remainder: bool = False


@dataclass(frozen=True)
class Result:
    template: str
    parameters: dict[str, Any]
    key_columns: tuple[str, ...]
    value_columns: tuple[str, ...]
    rows: tuple[ResultRow, ...]
    epsilon_spent: Fraction
    rows_suppressed: int
    mechanisms: tuple[Calibration, ...]
    k: int
    exact: bool = False
    derived: dict[str, str] = field(default_factory=dict)
    digest: str = field(default="")
    delta: Fraction | None = None
    rho_spent: Fraction | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (Fractions as ``"p/q"`` text); includes ``digest``."""
        body = _body(self)
        body["digest"] = self.digest
        return body


def _fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _body(result: Result) -> dict[str, Any]:
    return {
        "template": result.template,
        "parameters": result.parameters,
        "key_columns": list(result.key_columns),
        "value_columns": list(result.value_columns),
        "rows": [
            {
                "key": list(row.key),
                "values": {name: _estimate_json(est) for name, est in row.values.items()},
                "suppressed": row.suppressed,
                "remainder": row.remainder,
            }
            for row in result.rows
        ],
        "epsilon_spent": _fraction_text(result.epsilon_spent),
        "rows_suppressed": result.rows_suppressed,
        "k": result.k,
        "mechanisms": [_mechanism_json(c) for c in result.mechanisms],
        "exact": result.exact,
        "derived": dict(sorted(result.derived.items())),
        # only under a Gaussian policy, so other results keep their digest
        **_zcdp_json(result),
    }


def _zcdp_json(result: Result) -> dict[str, str]:
    """``delta`` and ``rho_spent`` of a discrete Gaussian release: the query is
    ``rho_spent``-zCDP, hence (``epsilon_spent``, ``delta``)-DP."""
    if result.delta is None or result.rho_spent is None:
        return {}
    return {"delta": _fraction_text(result.delta), "rho_spent": _fraction_text(result.rho_spent)}


def _mechanism_json(c: Calibration) -> dict[str, Any]:
    """One mechanism: Laplace as before; a discrete Gaussian names its rho share, the
    rho OpenDP accounts and its squared L2 sensitivity instead of an accounted epsilon
    (``scale`` is its sigma)."""
    out: dict[str, Any] = {
        "statistic": c.statistic,
        "mechanism": c.mechanism,
        "sensitivity": c.sensitivity,
        "epsilon": _fraction_text(c.epsilon),
        "scale": c.scale,
    }
    if c.mechanism == GAUSSIAN and c.rho is not None:
        out["rho"] = _fraction_text(c.rho)
        out["accounted_rho"] = _fraction_text(c.accounted)
        out["l2_sensitivity_squared"] = c.l2_squared
    else:
        out["accounted_epsilon"] = _fraction_text(c.accounted)
    return out


def _bound(value: float) -> float | None:
    return None if math.isinf(value) else value


def _estimate_json(est: Estimate | None) -> list[float | None] | None:
    """``[value, low, high]``; an unbounded end is ``null``."""
    return None if est is None else [est.value, _bound(est.low), _bound(est.high)]


def result_digest(result: Result) -> str:
    """SHA-256 (hex) of the canonical JSON of everything in the result but the digest."""
    text = json.dumps(_body(result), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()
