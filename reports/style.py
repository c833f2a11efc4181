"""Numbers for people, the one home of number formatting for every surface: the HTML
report, the web console, the demo's tables and the agent's terminal tables.

Money with its symbol or ISO code (compact ``$126.3k``, ``¥2.89M`` in tables and chart
axes, full ``USD 1,234.50`` in the report's cells), counts with thousands separators,
rates in %, lifts in percentage points, ROAS as ``2.40x``; ``wide`` gives every number
to full precision (the agent's ``--wide``).

:class:`Style` is a frozen value checked on construction. A currency's decimals follow
ISO 4217 (``JPY`` and ``KRW`` have none); a locale gives the decimal and grouping marks
and where the code goes. Unknown codes are refused with the list of known ones, never
guessed. A column ``model.statistic`` (an attribution comparison) reads as its statistic.
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

#: Symbols of common currencies; any other code is written out (``CHF 12.5k``).
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "KRW": "₩"}
#: Columns that hold money besides every ``*revenue`` column.
MONEY = frozenset({"spend", "amount"})
RATIOS = frozenset({"roas", "incremental_roas"})
POINTS = frozenset({"absolute_lift"})
SIGNED_PERCENT = frozenset({"relative_lift"})
HEADINGS = {"roas": "ROAS", "incremental_roas": "incremental ROAS"}


def _rate_column(column: str) -> bool:
    return column.endswith(("_rate", "_share")) or column in ("rate", "share")


def statistic(column: str) -> str:
    """``linear.credited_revenue`` -> ``credited_revenue``; other names unchanged."""
    return column.rsplit(".", 1)[-1]


def currency_code(text: str) -> str:
    """An ISO 4217 code a report knows (``jpy`` -> ``JPY``), or a ReportError."""
    code = text.strip().upper()
    if code not in CURRENCY_DECIMALS:
        known = ", ".join(sorted(CURRENCY_DECIMALS))
        raise ReportError(f"unknown currency {text!r}; choose from {known}")
    return code


@dataclass(frozen=True)
class Style:
    """How numbers read: ``Style("JPY", "ja-JP")``; ``currency=None``: amounts without a
    symbol (a party home with no currency set); ``wide``: full precision."""

    currency: str | None = "USD"
    locale: str = "en-US"
    wide: bool = False

    def __post_init__(self) -> None:
        if self.currency is not None and self.currency not in CURRENCY_DECIMALS:
            known = ", ".join(sorted(CURRENCY_DECIMALS))
            raise ReportError(f"unknown currency {self.currency!r}; choose from {known}")
        if self.locale not in LOCALES:
            known = ", ".join(sorted(LOCALES))
            raise ReportError(f"unknown locale {self.locale!r}; choose from {known}")

    @property
    def decimals(self) -> int:
        """The currency's minor units (0 for JPY; 2 without a currency)."""
        return 2 if self.currency is None else CURRENCY_DECIMALS[self.currency]

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
        """Compact, for tables and chart axes: ``$126.3k``, ``¥2.89M``, ``CHF 950.50``."""
        size = abs(value)
        if size >= 1e6:
            amount = self.decimal(size / 1e6, 2) + "M"
        elif size >= 1e4:
            amount = self.decimal(size / 1e3, 1) + "k"
        else:
            places = 0 if self.decimals == 0 or size >= 1000 or size == 0 else self.decimals
            amount = self.decimal(size, places)
        sign = "-" if value < 0 and amount.strip("0.,Mk") else ""
        symbol = SYMBOLS.get(self.currency or "")
        if symbol is None:
            return sign + (self._with_code(amount) if self.currency else amount)
        marks = LOCALES[self.locale]
        return f"{sign}{symbol}{amount}" if marks.code_first else f"{sign}{amount} {symbol}"

    def _with_code(self, amount: str) -> str:
        marks = LOCALES[self.locale]
        if self.currency is None:
            return amount
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

    @staticmethod
    def exact(value: float) -> str:
        """Full precision (``wide``): integers with separators, others as sent."""
        return f"{int(value):,}" if float(value).is_integer() else repr(float(value))

    def formatter(self, column: str, short: bool = False) -> Callable[[float], str]:
        """How ``column`` reads; ``short`` abbreviates money (tables, chart axes)."""
        if self.wide:
            return self.exact
        column = statistic(column)
        if column in MONEY or column.endswith("revenue"):
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

    def released_parts(
        self, column: str, number: Number, short: bool = False
    ) -> tuple[str, str, str] | None:
        """``(value, low, high)`` as text, None when not released; an unbounded end is
        ∞, and a negative noisy value of a never-negative column (the stored value is
        not clamped) reads "< 0, not significant"."""
        if number.value is None or number.low is None or number.high is None:
            return None
        show = self.formatter(column, short)
        shown = show(number.value)
        if number.value < 0 and never_negative(column):
            shown = "< 0, not significant"
        return shown, _end(show, number.low), _end(show, number.high)

    def released(self, column: str, number: Number, short: bool = False) -> str:
        """``value [low, high]``, an em dash when not released."""
        parts = self.released_parts(column, number, short)
        return "—" if parts is None else f"{parts[0]} [{parts[1]}, {parts[2]}]"

    def truth(self, column: str, number: Number, short: bool = False) -> str:
        """The true value (the demo's synthetic world), an em dash when unknown."""
        return "—" if number.truth is None else self.formatter(column, short)(number.truth)


def never_negative(column: str) -> bool:
    """Counts, money, rates and ROAS; not lifts or incremental numbers."""
    column = statistic(column)
    return column not in POINTS | SIGNED_PERCENT and not (
        "lift" in column or column.startswith("incremental")
    )


def heading(column: str) -> str:
    """``exposed_rate`` -> ``exposed rate``; ``linear.roas`` -> ``linear ROAS``."""
    model, _, stat = column.rpartition(".")
    text = HEADINGS.get(stat, stat.replace("_", " "))
    return f"{model.replace('_', ' ')} {text}" if model else text


def _end(show: Callable[[float], str], value: float) -> str:
    return show(value) if math.isfinite(value) else ("∞" if value > 0 else "-∞")
