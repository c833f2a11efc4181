"""Exact numbers and durations read the way a person wrote them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from policies import Duration, fraction_text, human_number, parse_fraction


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.5", Fraction(1, 2)),
        ("1/4", Fraction(1, 4)),
        (" 3 / 9 ", Fraction(1, 3)),
        ("0.1", Fraction(1, 10)),
        ("1e-1", Fraction(1, 10)),
        (".25", Fraction(1, 4)),
        ("1_000", Fraction(1000)),
        (0.1, Fraction(1, 10)),
        (2, Fraction(2)),
        (Fraction(2, 3), Fraction(2, 3)),
    ],
)
def test_exact_numbers(raw: object, expected: Fraction) -> None:
    assert parse_fraction(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1/0", "", "0x10", True, float("nan"), float("inf"), None])
def test_inexact_or_non_numbers_are_refused(raw: object) -> None:
    with pytest.raises(ValueError, match=r'^write an exact number such as "0.5" or "1/4", got '):
        parse_fraction(raw)


@pytest.mark.parametrize(
    ("value", "canonical", "human"),
    [
        (Fraction(1, 2), "1/2", "0.5"),
        (Fraction(5), "5/1", "5"),
        (Fraction(1, 3), "1/3", "1/3"),
        (Fraction(1, 8), "1/8", "0.125"),
        (Fraction(-3, 20), "-3/20", "-0.15"),
        (Fraction(1, 1000), "1/1000", "0.001"),
    ],
)
def test_number_texts(value: Fraction, canonical: str, human: str) -> None:
    assert fraction_text(value) == canonical
    assert human_number(value) == human
    assert parse_fraction(human) == value


@pytest.mark.parametrize(
    ("raw", "seconds", "canonical", "words"),
    [
        ("7d", 604_800, "7d", "7 days"),
        ("1w", 604_800, "7d", "7 days"),
        ("36h", 129_600, "36h", "36 hours"),
        ("24h", 86_400, "1d", "1 day"),
        ("90s", 90, "90s", "90 seconds"),
        ("1m", 60, "1m", "1 minute"),
    ],
)
def test_durations(raw: str, seconds: int, canonical: str, words: str) -> None:
    duration = Duration.parse(raw)
    assert duration.seconds == seconds
    assert str(duration) == canonical
    assert duration.words() == words


@pytest.mark.parametrize("raw", ["7", "7 days", "1.5d", "d", "-1d", 7, None])
def test_bad_durations(raw: object) -> None:
    with pytest.raises(ValueError, match=r"^write a whole number and a unit \(s, m, h, d or w\)"):
        Duration.parse(raw)


def test_zero_duration() -> None:
    with pytest.raises(ValueError, match=r"^a duration must be longer than zero, got 0s$"):
        Duration.parse("0d")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1e-999999999", "(exponent too large)"),
        ("1e41", "(exponent too large)"),
        (1e-300, "(exponent too large)"),
        ("1" * 41, "of at most 40 characters"),
        (10**400, "of at most 40 digits"),
        (Fraction(1, 3**200), "of at most 40 digits"),
    ],
)
def test_numbers_too_large_to_handle_are_refused_before_any_arithmetic(
    raw: object, message: str
) -> None:
    with pytest.raises(
        ValueError, match=r'^write an exact number such as "0.5" or "1/4"'
    ) as caught:
        parse_fraction(raw)
    assert str(caught.value).endswith(message)
