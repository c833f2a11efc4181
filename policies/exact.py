"""Exact numbers and durations: the two scalar kinds a policy is written in.

Epsilon, budgets and money caps are :class:`fractions.Fraction` values, never floats.
Text such as ``"0.1"`` or ``"1/4"`` is read exactly (``"0.1"`` is 1/10, not the binary
float nearest to it). A Python ``float`` is read through its shortest decimal form,
so ``0.1`` also means 1/10; ``bool``, NaN and infinities are refused, and so is
anything longer than :data:`MAX_TEXT` characters or digits (or with a larger exponent):
an exact number stays small enough to print, store and add.

Durations are whole seconds written as a whole number and one unit: ``s``, ``m``,
``h``, ``d`` or ``w`` (``"7d"``, ``"36h"``). Their canonical text uses the largest of
``d``, ``h``, ``m``, ``s`` that divides them, so ``"1w"`` and ``"168h"`` both read back
as ``"7d"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_RATIO = re.compile(r"[+-]?\d+\s*/\s*\d+")
_DURATION = re.compile(r"([0-9]+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_WORDS = (("d", "day"), ("h", "hour"), ("m", "minute"), ("s", "second"))

EXACT_HINT = 'write an exact number such as "0.5" or "1/4"'
MAX_TEXT = 40
"""Longest text read as an exact number: no policy or query needs more, and an
exponent such as ``1e-999999999`` would otherwise make Python build a gigantic integer."""
DURATION_HINT = 'write a whole number and a unit (s, m, h, d or w), such as "7d"'


def parse_fraction(value: object) -> Fraction:
    """Read ``value`` as an exact number; raises ``ValueError`` with a readable message."""
    if isinstance(value, bool):
        raise ValueError(f"{EXACT_HINT}, got {value!r}")
    if isinstance(value, Fraction | int):
        number = Fraction(value)
        if max(abs(number.numerator), number.denominator).bit_length() > 4 * MAX_TEXT:
            raise ValueError(f"{EXACT_HINT} of at most {MAX_TEXT} digits")
        return number
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{EXACT_HINT}, got {value!r}")
        return parse_fraction(repr(value))
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        if len(text) > MAX_TEXT:
            raise ValueError(f"{EXACT_HINT} of at most {MAX_TEXT} characters")
        if match := _DECIMAL.fullmatch(text):
            if match.group(3) and abs(int(match.group(3)[1:])) > MAX_TEXT:
                raise ValueError(f"{EXACT_HINT}, got {value!r} (exponent too large)")
            return Fraction(text)
        if _RATIO.fullmatch(text):
            numerator, denominator = (int(part) for part in text.split("/"))
            if denominator == 0:
                raise ValueError(f"{EXACT_HINT}, got {value!r} (division by zero)")
            return Fraction(numerator, denominator)
    raise ValueError(f"{EXACT_HINT}, got {value!r}")


def fraction_text(value: Fraction) -> str:
    """Canonical, unambiguous text of a fraction: always ``"n/d"`` (``"1/2"``, ``"5/1"``)."""
    return f"{value.numerator}/{value.denominator}"


def human_number(value: Fraction) -> str:
    """A fraction as people write it: ``0.5``, ``5``, ``0.125``; ``1/3`` when not decimal."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return fraction_text(value)
    places = max(twos, fives)
    scaled = value * 10**places
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


@dataclass(frozen=True, order=True)
class Duration:
    """A positive whole number of seconds."""

    seconds: int

    def __post_init__(self) -> None:
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, int):
            raise ValueError(f"{DURATION_HINT}, got {self.seconds!r}")
        if self.seconds <= 0:
            raise ValueError(f"a duration must be longer than zero, got {self.seconds}s")

    @classmethod
    def parse(cls, value: object) -> Duration:
        """Read ``"7d"``-style text (or a :class:`Duration`); raises ``ValueError``."""
        if isinstance(value, Duration):
            return value
        match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"{DURATION_HINT}, got {value!r}")
        return cls(int(match.group(1)) * _UNITS[match.group(2)])

    def __str__(self) -> str:
        for unit, _ in _WORDS:
            if self.seconds % _UNITS[unit] == 0:
                return f"{self.seconds // _UNITS[unit]}{unit}"
        raise AssertionError("unreachable: every duration is whole seconds")

    def words(self) -> str:
        """``"7 days"``, ``"1 day"``, ``"36 hours"``."""
        for unit, word in _WORDS:
            if self.seconds % _UNITS[unit] == 0:
                count = self.seconds // _UNITS[unit]
                return f"{count} {word}" if count == 1 else f"{count} {word}s"
        raise AssertionError("unreachable: every duration is whole seconds")
