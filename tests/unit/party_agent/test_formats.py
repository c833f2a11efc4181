"""Human numbers by default (%, currency, separators), full precision with --wide."""

from __future__ import annotations

import pytest

from party_agent.errors import ConfigError
from party_agent.formats import Style, cell, currency_code, money

YEN, WIDE = Style("JPY"), Style(wide=True)


@pytest.mark.parametrize(
    ("column", "estimate", "style", "shown"),
    [
        ("conversion_rate", [0.123, 0.101, 0.145], Style(), "12.3% [10.1%, 14.5%]"),
        ("conversion_rate", [0.09518, 0.0801, 0.11], WIDE, "0.09518 [0.0801, 0.11]"),
        ("revenue", [2888989.82, 1091550.46, 4686429.18], YEN, "¥2.89M [¥1.09M, ¥4.69M]"),
        ("revenue", [2888989.82, 1091550.46, 4686429.18], WIDE,
         "2888989.82 [1091550.46, 4686429.18]"),
        ("revenue", [126300.0, 108300.0, 144300.0], Style("USD"), "$126.3k [$108.3k, $144.3k]"),
        ("revenue", [950.5, 800.0, 1200.0], Style("CHF"), "CHF 950.50 [CHF 800.00, CHF 1,200]"),
        ("revenue", [950.0, -12.0, 1900.0], Style(), "950.00 [-12.00, 1,900]"),
        ("exposed_users", [2894.4, 2804.0, 2984.0], Style(), "2,894 [2,804, 2,984]"),
        ("exposed_users", [1234567.0, 1234000.0, 1235000.0], WIDE,
         "1,234,567 [1,234,000, 1,235,000]"),
        ("absolute_lift", [0.021, 0.004, 0.038], Style(), "+2.1 pp [+0.4 pp, +3.8 pp]"),
        ("relative_lift", [0.22, -0.05, None], Style(), "+22% [-5%, ∞]"),
        ("roas", [7.613, 6.53, 8.7], Style(), "7.61x [6.53x, 8.70x]"),
        ("converted_users", [-3.0, -20.0, 14.0], Style(), "< 0, not significant [-20, 14]"),
    ],
)  # fmt: skip
def test_cells(column: str, estimate: list[float | None], style: Style, shown: str) -> None:
    assert cell(estimate, False, column, style).replace("[dim]", "").replace("[/dim]", "") == shown


def test_withheld_and_missing_numbers() -> None:
    assert cell([1.0, 0.0, 2.0], True, "users", Style()) == "[dim]suppressed[/dim]"
    assert cell(None, False, "users", Style()) == "—"
    assert cell([None, None, None], False, "users", Style()) == "—"


def test_negative_money_keeps_its_sign_before_the_symbol() -> None:
    assert money(-12_500.0, "EUR") == "-€12.5k"
    assert money(-5.0, "JPY") == "-¥5"


@pytest.mark.parametrize("text", ["JPYY", "JP", "12A", "", "¥"])
def test_a_currency_is_an_iso_code(text: str) -> None:
    with pytest.raises(ConfigError, match="three-letter ISO 4217 code"):
        currency_code(text)
    assert currency_code(" jpy ") == "JPY" and currency_code(None) is None
