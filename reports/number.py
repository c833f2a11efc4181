"""One released number with its 95% interval (and, in the demo, the true value)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Number:
    """A released number, its 95% interval, and the true value where one is known
    (the demo's synthetic world); every field is ``None`` when nothing was released."""

    value: float | None
    low: float | None
    high: float | None
    truth: float | None = None

    @classmethod
    def from_triple(cls, triple: list[float | None] | None, truth: float | None = None) -> Number:
        """A result row's ``[value, low, high]`` (``None``: not released); a ``null`` end
        of a released interval is unbounded (``-inf`` / ``inf``)."""
        if triple is None:
            return cls(None, None, None, truth)
        value, low, high = triple
        return cls(
            None if value is None else float(value),
            -math.inf if low is None else float(low),
            math.inf if high is None else float(high),
            truth,
        )

    @property
    def covered(self) -> bool | None:
        """Whether the interval contains the truth (None when either is missing)."""
        if self.low is None or self.high is None or self.truth is None:
            return None
        return self.low <= self.truth <= self.high

    def to_json(self) -> dict[str, Any]:
        """An unbounded interval end is ``null``, as in the server's reply."""
        return {
            "value": self.value,
            "low": _finite(self.low),
            "high": _finite(self.high),
            "truth": self.truth,
        }


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value
