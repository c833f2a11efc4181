"""Numbers for people: money with its ISO code and the currency's decimals, the locale's
marks, rates and lifts, and unknown codes refused."""

from __future__ import annotations

import math

import pytest

from reports import Number, ReportError, Style


@pytest.mark.parametrize(
    ("style", "money", "count", "rate"),
    [
        (Style(), "USD 1,234,567.89", "1,234,568", "12.3%"),
        (Style("JPY", "ja-JP"), "JPY 1,234,568", "1,234,568", "12.3%"),
        (Style("EUR", "de-DE"), "1.234.567,89 EUR", "1.234.568", "12,3%"),
        (Style("EUR", "fr-FR"), "1\u202f234\u202f567,89 EUR", "1\u202f234\u202f568", "12,3%"),
    ],
)
def test_money_counts_and_rates_follow_currency_and_locale(
    style: Style, money: str, count: str, rate: str
) -> None:
    assert style.money(1_234_567.891) == money
    assert style.count(1_234_567.5) == count
    assert style.rate(0.1234) == rate


def test_columns_read_by_their_kind() -> None:
    style = Style()
    assert style.formatter("incremental_revenue")(-1500) == "USD -1,500.00"
    assert style.formatter("roas")(2.456) == "2.46x"
    assert style.formatter("absolute_lift")(0.0123) == "+1.2 pp"
    assert style.formatter("relative_lift")(-0.25) == "-25%"
    assert style.formatter("holdout_rate")(0.05) == "5.0%"
    assert style.formatter("revenue", short=True)(123_456) == "USD 123.5k"
    assert Style("JPY").formatter("revenue", short=True)(4_500_000) == "JPY 4.5M"


def test_released_text_has_its_interval_and_marks_noise_below_zero() -> None:
    style = Style()
    assert style.released("roas", Number(2.0, 1.5, 2.5)) == "2.00x [1.50x, 2.50x]"
    assert style.released("converted_users", Number(-3, -20, 14)) == (
        "< 0, not significant [-20, 14]"
    )
    assert style.released("absolute_lift", Number(-0.01, -0.03, 0.01)).startswith("-1.0 pp")
    assert style.released("relative_lift", Number(0.1, -0.2, math.inf)).endswith(", ∞]")
    assert style.released("users", Number(None, None, None)) == "—"


def test_unknown_codes_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ReportError, match=r"unknown currency 'XYZ'; choose from AUD, BRL"):
        Style("XYZ")
    with pytest.raises(ReportError, match=r"unknown locale 'en_US'; choose from de-DE"):
        Style("USD", "en_US")
