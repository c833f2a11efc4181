"""Declared buckets of the closed-loop templates: frequency, delay and the repeat horizon.

Buckets are public parameters of a query (its request, checked here and against the
policy's bounds in :func:`policies.evaluate`), never read from the data, so the cells of
every histogram are known before any data is read.

- **Frequency buckets** (``reach_frequency``): the lower edges of the buckets, starting
  at 1 and strictly increasing, e.g. ``1, 2, 3, 6, 11`` for ``1``, ``2``, ``3-5``,
  ``6-10``, ``11+``. Exposures are counted per user and campaign and capped at the
  frequency cap before bucketing; every edge must be at most the cap.
- **Delay buckets** (``time_to_conversion``): the inner boundaries as durations, e.g.
  ``1h, 1d, 3d, 7d`` for ``0-1h``, ``1h-1d``, ``1d-3d``, ``3d-7d``, ``7d+`` (a bucket
  holds delays ``>=`` its lower and ``<`` its upper boundary; the last runs to the
  attribution window). Every boundary must be shorter than the window.
- **Repeat horizon** (``funnel``): how long after a user's first converting purchase a
  later purchase counts as a repeat; within the policy's window bounds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from policies.exact import Duration

MAX_BUCKETS = 12
"""At most this many buckets per query (a histogram's cells are campaigns x buckets)."""

DEFAULT_FREQUENCY_BUCKETS = (1, 2, 3, 6, 11)
DEFAULT_FREQUENCY_CAP = 20
MAX_FREQUENCY_CAP = 1000
"""The largest frequency cap a request may set. The cap never changes a sensitivity
(each user lands in one bucket per kept campaign whatever their count), nor, with the
last bucket open and every edge at most the cap, any bucket; so it is a fixed bound of
the software rather than a policy field."""

DEFAULT_DELAY_BUCKETS = (
    Duration(3600),
    Duration(86400),
    Duration(3 * 86400),
    Duration(7 * 86400),
)
DEFAULT_HORIZON = Duration(30 * 86400)


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        raise ValueError(f"must be whole numbers, got {value!r}")
    return value


def _items(value: object) -> list[object]:
    if isinstance(value, str):
        return [part for part in value.replace(" ", "").split(",") if part]
    if isinstance(value, tuple | list):
        return list(value)
    raise ValueError(f"must be a list or comma-separated text, got {value!r}")


def _increasing(edges: Sequence[int], what: str, buckets: int) -> None:
    if buckets > MAX_BUCKETS:
        raise ValueError(f"at most {MAX_BUCKETS} {what} buckets, got {buckets}")
    if any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError(f"{what} bucket edges must be strictly increasing")


def frequency_buckets_of(value: object) -> tuple[int, ...] | None:
    """Lower edges of the frequency buckets (``None``: the default)."""
    if value is None:
        return None
    edges = tuple(_whole(item) for item in _items(value))
    if not edges or edges[0] != 1:
        raise ValueError("the first frequency bucket must start at 1 (one exposure)")
    _increasing(edges, "frequency", len(edges))
    return edges


def frequency_cap_of(value: object) -> int | None:
    if value is None:
        return None
    cap = _whole(value)
    if not 1 <= cap <= MAX_FREQUENCY_CAP:
        raise ValueError(f"must be between 1 and {MAX_FREQUENCY_CAP}, got {cap}")
    return cap


def delay_buckets_of(value: object) -> tuple[Duration, ...] | None:
    """Inner boundaries of the delay buckets (``None``: the default; empty: one bucket)."""
    if value is None:
        return None
    edges = tuple(Duration.parse(item) for item in _items(value))
    _increasing([edge.seconds for edge in edges], "delay", len(edges) + 1)
    return edges


def frequency_labels(edges: Sequence[int]) -> tuple[str, ...]:
    """``1, 2, 3, 6, 11`` -> ``"1", "2", "3-5", "6-10", "11+"``."""
    labels = []
    for i, low in enumerate(edges):
        high = edges[i + 1] - 1 if i + 1 < len(edges) else None
        labels.append(f"{low}+" if high is None else str(low) if high == low else f"{low}-{high}")
    return tuple(labels)


def delay_labels(edges: Sequence[Duration]) -> tuple[str, ...]:
    """``1h, 1d`` -> ``"0-1h", "1h-1d", "1d+"``."""
    bounds = ["0", *(str(edge) for edge in edges)]
    return tuple(
        f"{low}-{bounds[i + 1]}" if i + 1 < len(bounds) else f"{low}+"
        for i, low in enumerate(bounds)
    )


def default_delay_buckets(window: Duration) -> tuple[Duration, ...]:
    """The default boundaries that are shorter than ``window``."""
    return tuple(edge for edge in DEFAULT_DELAY_BUCKETS if edge < window)
