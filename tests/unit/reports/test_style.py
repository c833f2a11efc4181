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
    assert style.formatter("revenue", short=True)(123_456) == "$123.5k"
    assert Style("JPY").formatter("revenue", short=True)(4_500_000) == "¥4.50M"


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


YEN, WIDE = Style("JPY"), Style(wide=True)


@pytest.mark.parametrize(
    ("column", "estimate", "style", "shown"),
    [
        ("conversion_rate", [0.123, 0.101, 0.145], Style(None), "12.3% [10.1%, 14.5%]"),
        ("conversion_rate", [0.09518, 0.0801, 0.11], WIDE, "0.09518 [0.0801, 0.11]"),
        ("match_rate", [0.8412, 0.83, 0.85], Style(None), "84.1% [83.0%, 85.0%]"),
        ("revenue", [2888989.82, 1091550.46, 4686429.18], YEN, "¥2.89M [¥1.09M, ¥4.69M]"),
        ("revenue", [2888989.82, 1091550.46, 4686429.18], WIDE,
         "2888989.82 [1091550.46, 4686429.18]"),
        ("revenue", [126300.0, 108300.0, 144300.0], Style("USD"), "$126.3k [$108.3k, $144.3k]"),
        ("linear.credited_revenue", [126300.0, 108300.0, 144300.0], Style(),
         "$126.3k [$108.3k, $144.3k]"),
        ("revenue", [950.5, 800.0, 1200.0], Style("CHF"), "CHF 950.50 [CHF 800.00, CHF 1,200]"),
        ("revenue", [950.0, -12.0, 1900.0], Style(None), "950.00 [-12.00, 1,900]"),
        ("exposed_users", [2894.4, 2804.0, 2984.0], Style(None), "2,894 [2,804, 2,984]"),
        ("exposed_users", [1234567.0, 1234000.0, 1235000.0], WIDE,
         "1,234,567 [1,234,000, 1,235,000]"),
        ("absolute_lift", [0.021, 0.004, 0.038], Style(), "+2.1 pp [+0.4 pp, +3.8 pp]"),
        ("relative_lift", [0.22, -0.05, None], Style(), "+22% [-5%, ∞]"),
        ("roas", [7.613, 6.53, 8.7], Style(), "7.61x [6.53x, 8.70x]"),
        ("time_decay.roas", [7.613, 6.53, 8.7], Style(), "7.61x [6.53x, 8.70x]"),
        ("converted_users", [-3.0, -20.0, 14.0], Style(), "< 0, not significant [-20, 14]"),
    ],
)  # fmt: skip
def test_compact_cells_of_tables(
    column: str, estimate: list[float | None], style: Style, shown: str
) -> None:
    assert style.released(column, Number.from_triple(estimate), short=True) == shown


def test_negative_compact_money_keeps_its_sign_before_the_symbol() -> None:
    assert Style("EUR").money_short(-12_500.0) == "-€12.5k"
    assert Style("JPY").money_short(-5.0) == "-¥5"


@pytest.mark.parametrize("text", ["JPYY", "JP", "12A", "", "¥", "XYZ"])
def test_a_currency_is_a_known_iso_code(text: str) -> None:
    from reports.style import currency_code

    with pytest.raises(ReportError, match="unknown currency"):
        currency_code(text)
    assert currency_code(" jpy ") == "JPY"


def test_comparison_columns_read_as_their_model_and_statistic() -> None:
    from reports.style import heading

    assert heading("position_based.roas") == "position based ROAS"
    assert heading("exposed_rate") == "exposed rate"
