"""One number across campaigns from the released per-campaign numbers (post-processing).

The lift template answers per campaign, and each campaign's holdout arm is small, so
each campaign's interval is wide. The plain mean over the released campaigns is a much
tighter estimate of the typical campaign's lift. It is computed from released numbers
only, so it costs no privacy budget.

Plain, not inverse-variance weighted: a rate's interval is narrower when the noisy rate
is lower, so weights read off the intervals would favour campaigns whose noise happened
to push the holdout rate down, and bias the pooled lift upwards. The campaigns here are
of similar size, so equal weights lose little. The interval treats the campaigns' errors
as independent and normal (each standard error read off the wider side of its 95%
interval), an approximation: a person exposed to two campaigns adds to both. The true
value is the mean of the same campaigns' true values, so the two are comparable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cleanroom.demo.released import Row
from reports import Number

Z95 = 1.959964


def pooled(rows: Sequence[Row], column: str) -> Number | None:
    """The mean of ``column`` over the released rows, with an approximate 95% interval."""
    found: list[tuple[float, float, float | None]] = []  # value, standard error, truth
    for row in rows:
        number = row.numbers.get(column)
        if row.suppressed or row.remainder or number is None or number.value is None:
            continue
        if number.low is None or number.high is None:
            continue
        # The wider side: an interval clamped at 0 (a rate) is not narrower for it.
        half = max(number.value - number.low, number.high - number.value)
        found.append((number.value, half / Z95, number.truth))
    if not found:
        return None
    count = len(found)
    value = sum(x for x, _, _ in found) / count
    half = Z95 * math.sqrt(sum(se**2 for _, se, _ in found)) / count
    truths = [t for _, _, t in found if t is not None]
    truth = sum(truths) / count if len(truths) == count else None
    return Number(value, value - half, value + half, truth)


POOLED_LIFT_COLUMNS = ("exposed_rate", "holdout_rate", "absolute_lift")


def pooled_lift(rows: Sequence[Row]) -> dict[str, Number]:
    """Pooled exposed rate, holdout rate and absolute lift (columns with any data)."""
    found = {column: pooled(rows, column) for column in POOLED_LIFT_COLUMNS}
    return {column: number for column, number in found.items() if number is not None}
