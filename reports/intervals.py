"""Inline SVG interval charts: one row per group, each released number as a bar or dot
with its 95% interval as a whisker, and the true value (where known: the demo's synthetic
world) as a diamond. No scripts.

Every text is escaped with ``html.escape``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reports.number import Number

WIDTH = 760
LEFT = 150
RIGHT = 24
TOP = 28
BOTTOM = 46


@dataclass(frozen=True)
class Series:
    """One kind of number across the groups (e.g. the exposed arm's conversion rate)."""

    name: str
    color: str
    numbers: Sequence[Number | None]  # None: the group was suppressed


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low or 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _extent(series: Sequence[Series]) -> tuple[float, float]:
    values = [0.0]
    for one in series:
        for n in one.numbers:
            if n is not None:
                found = (n.value, n.low, n.high, n.truth)
                values += [v for v in found if v is not None and math.isfinite(v)]
    low, high = min(values), max(values)
    pad = (high - low) * 0.04 or 1.0
    return (low - pad if low < 0 else 0.0), high + pad


def interval_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    bars: bool = False,
) -> str:
    """An SVG chart; ``bars`` draws a bar from zero (one series), else dots."""
    band = 22 if len(series) == 1 else 12 * len(series) + 10
    legend = _legend_rows(series)
    height = TOP + band * len(labels) + BOTTOM + LEGEND_LINE * (len(legend) - 1)
    low, high = _extent(series)

    def x(value: float) -> float:
        return LEFT + (value - low) / (high - low) * (WIDTH - LEFT - RIGHT)

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {WIDTH} {height}' "
        f"width='{WIDTH}' height='{height}' role='img' aria-label='{_e(title)}'>",
        f"<title>{_e(title)}</title>",
    ]
    parts += _axis(x, low, high, height, fmt)
    for i, label in enumerate(labels):
        top = TOP + i * band
        parts.append(
            f"<text x='{LEFT - 8}' y='{top + band / 2 + 4:.1f}' text-anchor='end' "
            f"font-size='12'>{_e(label)}</text>"
        )
        if all(one.numbers[i] is None for one in series):  # a suppressed group: one note
            parts += _mark(x, None, top + band / 2, "", False)
            continue
        for j, one in enumerate(series):
            middle = top + (band / 2 if len(series) == 1 else 10 + 12 * j)
            parts += _mark(x, one.numbers[i], middle, one.color, bars and len(series) == 1)
    parts += _legend(legend, TOP + band * len(labels) + 32)
    parts.append("</svg>")
    return "".join(parts)


def _axis(
    x: Callable[[float], float], low: float, high: float, height: int, fmt: Callable[[float], str]
) -> list[str]:
    bottom = height - BOTTOM + 6
    parts = []
    for tick in _nice_ticks(low, high):
        px = x(tick)
        stroke = "#98a2b3" if abs(tick) < 1e-12 else "#e4e7ec"
        parts.append(
            f"<line x1='{px:.1f}' y1='{TOP - 6}' x2='{px:.1f}' y2='{bottom}' stroke='{stroke}'/>"
        )
        parts.append(
            f"<text x='{px:.1f}' y='{TOP - 10}' text-anchor='middle' font-size='11' "
            f"fill='#667085'>{_e(fmt(tick))}</text>"
        )
    return parts


def _mark(
    x: Callable[[float], float], number: Number | None, y: float, color: str, bar: bool
) -> list[str]:
    if number is None or number.value is None:
        note = "suppressed (group below the threshold)"
        return [
            f"<text x='{LEFT + 6}' y='{y + 4:.1f}' font-size='11' fill='#98a2b3' "
            f"font-style='italic'>{_e(note)}</text>"
        ]
    parts = []
    if bar:
        left, right = sorted((x(0.0), x(number.value)))
        parts.append(
            f"<rect x='{left:.1f}' y='{y - 7:.1f}' width='{right - left:.1f}' "
            f"height='14' fill='{color}' fill-opacity='0.35'/>"
        )
    if number.low is not None and number.high is not None:
        # an unbounded end (relative lift) is drawn to the edge of the chart
        a, b = (x(min(max(v, -1e300), 1e300)) for v in (number.low, number.high))
        a, b = max(a, float(LEFT)), min(b, float(WIDTH - RIGHT))
        parts.append(
            f"<line x1='{a:.1f}' y1='{y:.1f}' x2='{b:.1f}' y2='{y:.1f}' "
            f"stroke='{color}' stroke-width='2'/>"
        )
        for end in (a, b):
            parts.append(
                f"<line x1='{end:.1f}' y1='{y - 5:.1f}' x2='{end:.1f}' "
                f"y2='{y + 5:.1f}' stroke='{color}' stroke-width='2'/>"
            )
    parts.append(f"<circle cx='{x(number.value):.1f}' cy='{y:.1f}' r='3.5' fill='{color}'/>")
    if number.truth is not None:
        t = x(number.truth)
        parts.append(
            f"<path d='M{t:.1f} {y - 6:.1f} L{t + 5:.1f} {y:.1f} L{t:.1f} {y + 6:.1f} "
            f"L{t - 5:.1f} {y:.1f} Z' fill='none' stroke='#1d2430' stroke-width='1.5'/>"
        )
    return parts


LEGEND_LINE = 16
LEGEND_CHAR = 6.2  # about the width of one character at font-size 11
TRUTH = None  # the legend entry of the true value's diamond


def _entry(one: Series | None) -> str:
    return "true value" if one is None else f"{one.name} (released, 95% interval)"


def _legend_rows(series: Sequence[Series]) -> list[list[Series | None]]:
    """The legend's entries (each series, then the diamond when some number has a true
    value) wrapped into lines that fit the chart's width."""
    entries: list[Series | None] = list(series)
    if any(n is not None and n.truth is not None for one in series for n in one.numbers):
        entries.append(TRUTH)
    rows: list[list[Series | None]] = [[]]
    cursor = float(LEFT)
    for entry in entries:
        width = 26 + LEGEND_CHAR * len(_entry(entry))
        if rows[-1] and cursor + width > WIDTH - RIGHT:
            rows.append([])
            cursor = float(LEFT)
        rows[-1].append(entry)
        cursor += width
    return rows


def _legend(rows: list[list[Series | None]], top: float) -> list[str]:
    parts = []
    for i, line in enumerate(rows):
        y, cursor = top + LEGEND_LINE * i, float(LEFT)
        for entry in line:
            if entry is None:
                parts.append(
                    f"<path d='M{cursor + 5:.1f} {y - 10} L{cursor + 10:.1f} {y - 4} "
                    f"L{cursor + 5:.1f} {y + 2} L{cursor:.1f} {y - 4} Z' fill='none' "
                    "stroke='#1d2430' stroke-width='1.5'/>"
                )
            else:
                parts.append(
                    f"<circle cx='{cursor + 5:.1f}' cy='{y - 4}' r='4' fill='{entry.color}'/>"
                )
            text = _entry(entry)
            parts.append(f"<text x='{cursor + 14:.1f}' y='{y}' font-size='11'>{_e(text)}</text>")
            cursor += 26 + LEGEND_CHAR * len(text)
    return parts
