"""Numbers for people in a chosen currency and locale: money with its ISO code, counts with
thousands separators, rates in %, lifts in percentage points, ROAS as ``2.40x``.

:class:`Style` is a frozen value checked on construction. A currency's decimals follow
ISO 4217 (``JPY`` and ``KRW`` have none); a locale gives the decimal and grouping marks
and where the code goes. Unknown codes are refused with the list of known ones, never
guessed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from reports.errors import ReportError
from reports.number import Number

#: ISO 4217 minor units of the currencies a report may be written in.
CURRENCY_DECIMALS = {
    "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0, "CNY": 2, "INR": 2, "AUD": 2,
    "CAD": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "BRL": 2, "MXN": 2, "SGD": 2,
}  # fmt: skip


@dataclass(frozen=True)
class Marks:
    """A locale's decimal mark, grouping mark, and whether the currency code comes first."""

    decimal: str
    group: str
    code_first: bool


LOCALES = {
    "en-US": Marks(".", ",", True),
    "en-GB": Marks(".", ",", True),
    "ja-JP": Marks(".", ",", True),
    "ko-KR": Marks(".", ",", True),
    "zh-CN": Marks(".", ",", True),
    "de-DE": Marks(",", ".", False),
    "es-ES": Marks(",", ".", False),
    "it-IT": Marks(",", ".", False),
    "nl-NL": Marks(",", ".", True),
    "pt-BR": Marks(",", ".", True),
    "fr-FR": Marks(",", "\u202f", False),
    "sv-SE": Marks(",", "\u00a0", False),
}

#: Columns that hold money, whatever the template (new templates' revenue columns too).
MONEY = frozenset({"revenue", "spend", "exposed_revenue", "holdout_revenue", "incremental_revenue"})
RATIOS = frozenset({"roas", "incremental_roas"})
POINTS = frozenset({"absolute_lift"})
SIGNED_PERCENT = frozenset({"relative_lift"})
HEADINGS = {"roas": "ROAS", "incremental_roas": "incremental ROAS"}


def _rate_column(column: str) -> bool:
    return column.endswith(("_rate", "_share")) or column in ("rate", "share")


@dataclass(frozen=True)
class Style:
    """How numbers read in one report: ``Style("JPY", "ja-JP")``."""

    currency: str = "USD"
    locale: str = "en-US"

    def __post_init__(self) -> None:
        if self.currency not in CURRENCY_DECIMALS:
            known = ", ".join(sorted(CURRENCY_DECIMALS))
            raise ReportError(f"unknown currency {self.currency!r}; choose from {known}")
        if self.locale not in LOCALES:
            known = ", ".join(sorted(LOCALES))
            raise ReportError(f"unknown locale {self.locale!r}; choose from {known}")

    @property
    def decimals(self) -> int:
        """The currency's minor units (0 for JPY)."""
        return CURRENCY_DECIMALS[self.currency]

    def decimal(self, value: float, places: int = 0) -> str:
        """``value`` with ``places`` decimals and the locale's marks: ``1,234.5``."""
        marks = LOCALES[self.locale]
        text = f"{value:,.{places}f}"
        return text.replace(",", "\0").replace(".", marks.decimal).replace("\0", marks.group)

    def count(self, value: float) -> str:
        return self.decimal(value)

    def money(self, value: float) -> str:
        """``USD 1,234.50``, ``JPY 1,235``, ``1.234,50 EUR`` (de-DE)."""
        return self._with_code(self.decimal(value, self.decimals))

    def money_short(self, value: float) -> str:
        """For chart axes: ``USD 12.3k``, ``JPY 4.5M``."""
        for size, above, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e3, 1e4, "k")):
            if abs(value) >= above:
                return self._with_code(self.decimal(value / size, 1) + suffix)
        return self._with_code(self.decimal(value, 0))

    def _with_code(self, amount: str) -> str:
        marks = LOCALES[self.locale]
        return f"{self.currency} {amount}" if marks.code_first else f"{amount} {self.currency}"

    def rate(self, value: float) -> str:
        return self.decimal(100 * value, 1) + "%"

    def points(self, value: float) -> str:
        return ("+" if value >= 0 else "") + self.decimal(100 * value, 1) + " pp"

    def signed_percent(self, value: float) -> str:
        return ("+" if value >= 0 else "") + self.decimal(100 * value, 0) + "%"

    def ratio(self, value: float) -> str:
        return self.decimal(value, 2) + "x"

    def probability(self, value: float) -> str:
        return self.decimal(100 * value, 0) + "%"

    def formatter(self, column: str, short: bool = False) -> Callable[[float], str]:
        """How ``column`` reads; ``short`` abbreviates money for chart axes."""
        if column in MONEY:
            return self.money_short if short else self.money
        if column in RATIOS:
            return self.ratio
        if column in POINTS:
            return self.points
        if column in SIGNED_PERCENT:
            return self.signed_percent
        if _rate_column(column):
            return self.rate
        return self.count

    def released(self, column: str, number: Number) -> str:
        """``value [low, high]``, an em dash when not released; an unbounded end is ∞."""
        if number.value is None or number.low is None or number.high is None:
            return "—"
        show = self.formatter(column)
        shown = show(number.value)
        if number.value < 0 and never_negative(column):
            shown = "< 0, not significant"  # unclamped noise below a non-negative truth
        return f"{shown} [{_end(show, number.low)}, {_end(show, number.high)}]"


def never_negative(column: str) -> bool:
    """Counts, money, rates and ROAS; not lifts or incremental numbers."""
    return column not in POINTS | SIGNED_PERCENT and not (
        "lift" in column or column.startswith("incremental")
    )


def heading(column: str) -> str:
    return HEADINGS.get(column, column.replace("_", " "))


def _end(show: Callable[[float], str], value: float) -> str:
    return show(value) if math.isfinite(value) else ("∞" if value > 0 else "-∞")
