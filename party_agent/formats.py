"""How the agent's tables show released numbers: human by default, exact with ``--wide``.

Human (the default): counts with thousands separators, rates in percent, lifts in
percentage points and percent, ROAS as ``7.61x``, money compact (``¥2.89M``, ``$126.3k``)
with the currency's symbol or code when one is known (``--currency`` or the home's
``currency``), so a table fits 100 columns::

    12.3% [10.1%, 14.5%]      $126.3k [$108.3k, $144.3k]      2,894 [2,804, 2,984]

Wide: every number as the server sent it, to full precision (``0.09518``). Pure
functions; the query commands call :func:`cell`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from party_agent.errors import ConfigError

#: Symbols of common currencies; any other ISO 4217 code is written before the amount.
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "KRW": "₩"}
#: Currencies without minor units (amounts below 10,000 show no decimals).
NO_DECIMALS = frozenset({"JPY", "KRW"})
RATES = frozenset({"conversion_rate", "exposed_rate", "holdout_rate", "rate"})
MONEY = frozenset({"revenue", "spend", "amount"})
NON_NEGATIVE_SUFFIXES = ("users", "converted", "rate", "revenue", "roas", "conversions")
"""Columns whose truth is never negative (counts, rates, revenue, ROAS)."""
CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def currency_code(text: str | None) -> str | None:
    """An ISO 4217 code (``jpy`` -> ``JPY``), or a ConfigError naming the problem."""
    if text is None:
        return None
    code = text.strip().upper()
    if not CURRENCY_CODE.fullmatch(code):
        raise ConfigError("a currency is a three-letter ISO 4217 code such as USD, EUR or JPY")
    return code


@dataclass(frozen=True)
class Style:
    """How to show numbers: the currency of money columns, and full precision or not."""

    currency: str | None = None
    wide: bool = False


def exact(value: float) -> str:
    """Full precision (``--wide``): integers with separators, others as sent."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return repr(float(value))


def count(value: float) -> str:
    return f"{value:,.0f}"


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def points(value: float) -> str:
    return f"{100 * value:+.1f} pp"


def signed_percent(value: float) -> str:
    return f"{100 * value:+.0f}%"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


def money(value: float, code: str | None) -> str:
    """Compact money: ``¥2.89M``, ``$126.3k``, ``€950.00``, ``CHF 12.5k``, ``2.89M``."""
    size = abs(value)
    if size >= 1_000_000:
        amount = f"{value / 1_000_000:,.2f}M"
    elif size >= 10_000:
        amount = f"{value / 1000:,.1f}k"
    elif code in NO_DECIMALS or size >= 1000:
        amount = f"{value:,.0f}"
    else:
        amount = f"{value:,.2f}"
    if code is None:
        return amount
    symbol = SYMBOLS.get(code)
    sign, digits = ("-", amount[1:]) if amount.startswith("-") else ("", amount)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{code} {digits}"


def shower(column: str, style: Style) -> Callable[[float], str]:
    """The function that shows one number of ``column`` in ``style``."""
    if style.wide:
        return exact
    if column in RATES:
        return percent
    if column == "absolute_lift":
        return points
    if column == "relative_lift":
        return signed_percent
    if column == "roas":
        return ratio
    if column in MONEY:
        return lambda value: money(value, style.currency)
    return count


def _end(show: Callable[[float], str], value: float | None, unbounded: str) -> str:
    return unbounded if value is None or not math.isfinite(value) else show(value)


def cell(estimate: list[float | None] | None, suppressed: bool, column: str, style: Style) -> str:
    """``value [low, high]`` (rich markup); a negative noisy count or rate (the stored
    value is not clamped) reads "< 0, not significant"; a ``null`` end is unbounded."""
    if suppressed:
        return "[dim]suppressed[/dim]"
    if estimate is None:
        return "—"
    value, low, high = estimate
    if value is None:
        return "—"
    show = shower(column, style)
    shown = show(value)
    if value < 0 and column.endswith(NON_NEGATIVE_SUFFIXES):
        shown = "< 0, not significant"
    return f"{shown} [dim][{_end(show, low, '-∞')}, {_end(show, high, '∞')}][/dim]"
