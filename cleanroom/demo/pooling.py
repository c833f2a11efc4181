"""One number across campaigns from the released per-campaign numbers (post-processing).

The lift template answers per campaign, and each campaign's holdout arm is small, so
each campaign's interval is wide. Their inverse-variance weighted mean is a much
tighter estimate of the typical campaign's lift. It is computed from released numbers
only, so it costs no privacy budget. Its interval treats the campaigns' errors as
independent and normal (each standard error read off the wider side of its 95%
interval), an
approximation: a person exposed to two campaigns adds to both. The true value is the
same weighted mean of the true per-campaign values, so the two are comparable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cleanroom.demo.released import Number, Row

Z95 = 1.959964


def pooled(rows: Sequence[Row], column: str) -> Number | None:
    """The inverse-variance weighted mean of ``column`` over the released rows."""
    weighted: list[tuple[float, float, float | None]] = []
    for row in rows:
        number = row.numbers.get(column)
        if row.suppressed or row.remainder or number is None or number.value is None:
            continue
        if number.low is None or number.high is None or number.high <= number.low:
            continue
        # The wider side: an interval clamped at 0 (a rate) must not earn extra weight.
        half = max(number.value - number.low, number.high - number.value)
        standard_error = half / Z95
        weighted.append((1 / standard_error**2, number.value, number.truth))
    if not weighted:
        return None
    total = sum(weight for weight, _, _ in weighted)
    value = sum(weight * x for weight, x, _ in weighted) / total
    half = Z95 * math.sqrt(1 / total)
    truths = [t for _, _, t in weighted]
    truth = None
    if all(t is not None for t in truths):
        truth = sum(w * t for (w, _, _), t in zip(weighted, truths, strict=True) if t is not None)
        truth /= total
    return Number(value, value - half, value + half, truth)


POOLED_LIFT_COLUMNS = ("exposed_rate", "holdout_rate", "absolute_lift")


def pooled_lift(rows: Sequence[Row]) -> dict[str, Number]:
    """Pooled exposed rate, holdout rate and absolute lift (columns with any data)."""
    found = {column: pooled(rows, column) for column in POOLED_LIFT_COLUMNS}
    return {column: number for column, number in found.items() if number is not None}
