"""The PII tripwire: refuse string columns that look like raw identifiers.

Run on every value of every string column (vectorized with Arrow's RE2 kernels), not a
sample, so one leaked column cannot hide behind a lucky sample. A column fails when any
value looks like

- an email address (``local@domain.tld`` anywhere in the value),
- a phone number (only digits, spaces, ``+().-``; 10 to 15 digits, or a leading ``+``
  and 8 to 15 digits),
- a 64-hex-digit string (the unsalted SHA-256 of an identifier that ad-tech pre-hashing
  produces; dictionary-attackable, so never accepted).

Messages name the column, the count and the pattern, never a value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

EMAIL = r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}"
HEX64 = r"(^|[^0-9A-Fa-f])[0-9A-Fa-f]{64}($|[^0-9A-Fa-f])"
PHONE_CHARS = r"^\s*\+?[0-9 ().\-]+\s*$"


@dataclass(frozen=True)
class TripwireHit:
    column: str
    pattern: str
    count: int


def _email_like(values: pa.Array) -> pa.Array:
    return pc.match_substring_regex(values, EMAIL)


def _hex64_like(values: pa.Array) -> pa.Array:
    return pc.match_substring_regex(values, HEX64)


def _phone_like(values: pa.Array) -> pa.Array:
    shaped = pc.match_substring_regex(values, PHONE_CHARS)
    digits = pc.utf8_length(pc.replace_substring_regex(values, r"[^0-9]", ""))
    plus = pc.starts_with(pc.utf8_trim_whitespace(values), "+")
    national = pc.and_(pc.greater_equal(digits, 10), pc.less_equal(digits, 15))
    international = pc.and_(plus, pc.and_(pc.greater_equal(digits, 8), pc.less_equal(digits, 15)))
    return pc.and_(shaped, pc.or_(national, international))


CHECKS: dict[str, Callable[[pa.Array], pa.Array]] = {
    "email addresses": _email_like,
    "phone numbers": _phone_like,
    "64-hex-digit hashes (unsalted SHA-256 of identifiers)": _hex64_like,
}


def is_text(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


def scan_column(name: str, values: pa.Array) -> list[TripwireHit]:
    """Hits of one batch of one string column (empty when clean)."""
    hits = []
    for pattern, check in CHECKS.items():
        matched = check(values)
        count = pc.sum(pc.cast(pc.fill_null(matched, False), pa.int64())).as_py() or 0
        if count:
            hits.append(TripwireHit(name, pattern, int(count)))
    return hits


def describe(hit: TripwireHit) -> str:
    return (
        f"column {hit.column!r}: {hit.count} distinct value(s) look like {hit.pattern}; "
        "upload keyed tokens from the party agent, never raw or hashed identifiers"
    )
