"""How each released column reads: counts (thousands separated), money, rates (%),
percentage points, ROAS."""

from __future__ import annotations

import math
from collections.abc import Callable

from reports.number import Number

HEADINGS = {
    "users": "users",
    "exposed_users": "exposed users",
    "converted_users": "converted users",
    "conversion_rate": "conversion rate",
    "revenue": "revenue",
    "roas": "ROAS",
    "exposed_converted": "exposed converted",
    "exposed_rate": "exposed rate",
    "holdout_users": "holdout users",
    "holdout_converted": "holdout converted",
    "holdout_rate": "holdout rate",
    "absolute_lift": "absolute lift",
    "relative_lift": "relative lift",
}


def count(value: float) -> str:
    return f"{value:,.0f}"


def money(value: float) -> str:
    if abs(value) >= 10_000:
        return f"${value / 1000:,.1f}k"
    return f"${value:,.0f}"


def rate(value: float) -> str:
    return f"{100 * value:.1f}%"


def points(value: float) -> str:
    return f"{100 * value:+.1f} pp"


def signed_percent(value: float) -> str:
    return f"{100 * value:+.0f}%"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


FORMATS: dict[str, Callable[[float], str]] = {
    "conversion_rate": rate,
    "exposed_rate": rate,
    "holdout_rate": rate,
    "absolute_lift": points,
    "relative_lift": signed_percent,
    "revenue": money,
    "roas": ratio,
}


def formatter(column: str) -> Callable[[float], str]:
    return FORMATS.get(column, count)


def heading(column: str) -> str:
    return HEADINGS.get(column, column.replace("_", " "))


NON_NEGATIVE = frozenset(
    {
        "users",
        "exposed_users",
        "converted_users",
        "revenue",
        "roas",
        "exposed_converted",
        "holdout_users",
        "holdout_converted",
        "conversion_rate",
        "exposed_rate",
        "holdout_rate",
    }
)
"""Columns whose truth is never negative: a negative released value (noise) reads
"< 0, not significant"; the stored value stays unclamped."""


def bound(show: Callable[[float], str], value: float) -> str:
    """An interval end; an unbounded one reads as infinity."""
    return show(value) if math.isfinite(value) else ("∞" if value > 0 else "-∞")


def released_text(column: str, number: Number) -> str:
    """``value [low, high]`` in the column's format, or an em dash when not released."""
    show = formatter(column)
    if number.value is None or number.low is None or number.high is None:
        return "—"
    shown = show(number.value)
    if column in NON_NEGATIVE and number.value < 0:
        shown = "< 0, not significant"
    return f"{shown} [{bound(show, number.low)}, {bound(show, number.high)}]"


def truth_text(column: str, number: Number) -> str:
    return "—" if number.truth is None else formatter(column)(number.truth)
