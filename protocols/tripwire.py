"""The PII tripwire: values of a text column that look like identifiers or their digests.

One implementation for both sides: the party agent runs it on every kept string
attribute before it writes a token file (``party-agent tokenize``), and the server runs
it on every string column of an upload before it publishes. Checks run on every value
(vectorized with Arrow's RE2 kernels), never a sample. A value trips when it looks like

- an email address (``local@domain.tld`` anywhere in the value), an obfuscated one
  (``jane at example dot com``, ``jane[at]example.com``) or a URL-encoded one
  (``jane%40example.com``);
- a phone number: only digits, spaces and ``+().-``, 10 to 15 digits (or a leading
  ``+`` and 8 to 15), optionally written as a ``tel:`` URI or followed by an extension
  (``x12``, ``ext. 12``, ``#12``);
- a hex digest: a run of exactly 32, 40, 64 or 128 hex digits (MD5, SHA-1, SHA-256,
  SHA-512; also a UUID written without hyphens, which is a device id);
- the base64 (standard or URL-safe, padded or not) of a 16-, 20-, 32- or 64-byte digest:
  the whole value has exactly that length, ends in a character that such a length
  allows, mixes upper case, lower case and digits, and has no run of five letters of
  one case (words do, random bytes rarely);
- a US social security number (``123-45-6789`` or with spaces, valid area, group and
  serial) or a Japanese My Number (12 digits, grouped 4-4-4 or not, valid check digit).

What passes: campaign ids, SKUs, hyphenated UUIDs, category names, dates, amounts.
Hits name the pattern and the count, never a value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

EMAIL = r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}"
_AT = r"(?:\s*[\[({]\s*at\s*[\])}]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[({]\s*dot\s*[\])}]\s*|\s+dot\s+|\.)"
OBFUSCATED_EMAIL = rf"(?i)[a-z0-9._%+-]+{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*{_DOT}[a-z]{{2,}}\b"
URL_ENCODED_EMAIL = r"(?i)[a-z0-9._%+-]+%40[a-z0-9.-]+\.[a-z]{2,}"
PHONE_CHARS = r"^\s*\+?[0-9 ().\-]+\s*$"
TEL_PREFIX = r"(?i)^\s*tel:"
EXTENSION = r"(?i)\s*(?:x|ext\.?|extension|#)\s*[0-9]{1,6}\s*$"
HEX_DIGEST = (
    r"(^|[^0-9A-Fa-f])"
    r"([0-9A-Fa-f]{128}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{32})"
    r"($|[^0-9A-Fa-f])"
)
#: Base64 lengths of 16/20/32/64-byte digests: (characters before the last, the last
#: character's alphabet, the padding of the standard form).
_B64_SHAPES: tuple[tuple[int, str, str], ...] = (
    (21, "AQgw", "=="),
    (26, "AEIMQUYcgkosw048", "="),
    (42, "AEIMQUYcgkosw048", "="),
    (85, "AQgw", "=="),
)
BASE64_DIGEST = (
    "^(?:"
    + "|".join(
        f"[A-Za-z0-9+/]{{{n}}}[{last}](?:{pad})?|[A-Za-z0-9_-]{{{n}}}[{last}]"
        for n, last, pad in _B64_SHAPES
    )
    + ")$"
)
SSN = (
    r"(^|[^0-9-])"
    r"(?:00[1-9]|0[1-9][0-9]|[1-578][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])[- ]"
    r"(?:0[1-9]|[1-9][0-9])[- ]"
    r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
    r"($|[^0-9-])"
)
MY_NUMBER = r"^\s*([0-9]{4})[- ]?([0-9]{4})[- ]?([0-9]{4})\s*$"


@dataclass(frozen=True)
class TripwireHit:
    """``count`` values of column ``column`` look like ``pattern``."""

    column: str
    pattern: str
    count: int

    def summary(self, counted: str = "distinct value(s)") -> str:
        """``column 'x': 3 distinct value(s) look like ...``: no value, ever."""
        return f"column {self.column!r}: {self.count} {counted} look like {self.pattern}"


def _matches(values: pa.Array, pattern: str) -> pa.Array:
    return pc.match_substring_regex(values, pattern)


def _email_like(values: pa.Array) -> pa.Array:
    plain = pc.or_(_matches(values, EMAIL), _matches(values, URL_ENCODED_EMAIL))
    return pc.or_(plain, _matches(values, OBFUSCATED_EMAIL))


def _phone_like(values: pa.Array) -> pa.Array:
    values = pc.replace_substring_regex(values, TEL_PREFIX, "")
    values = pc.replace_substring_regex(values, EXTENSION, "")
    shaped = _matches(values, PHONE_CHARS)
    digits = pc.utf8_length(pc.replace_substring_regex(values, r"[^0-9]", ""))
    plus = pc.starts_with(pc.utf8_trim_whitespace(values), "+")
    national = pc.and_(pc.greater_equal(digits, 10), pc.less_equal(digits, 15))
    international = pc.and_(plus, pc.and_(pc.greater_equal(digits, 8), pc.less_equal(digits, 15)))
    return pc.and_(shaped, pc.or_(national, international))


def _hex_digest_like(values: pa.Array) -> pa.Array:
    return _matches(values, HEX_DIGEST)


def _base64_digest_like(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(values)
    shaped = _matches(trimmed, BASE64_DIGEST)
    mixed = pc.and_(_matches(trimmed, "[A-Z]"), _matches(trimmed, "[a-z]"))
    mixed = pc.and_(mixed, _matches(trimmed, "[0-9]"))
    wordy = pc.or_(_matches(trimmed, "[a-z]{5}"), _matches(trimmed, "[A-Z]{5}"))
    return pc.and_(pc.and_(shaped, mixed), pc.invert(wordy))


def _ssn_like(values: pa.Array) -> pa.Array:
    return _matches(values, SSN)


def my_number_valid(digits: str) -> bool:
    """The check digit of a 12-digit Japanese individual number (My Number)."""
    body, check = [int(d) for d in digits[:11]], int(digits[11])
    weights = [n + 1 if n <= 6 else n - 5 for n in range(11, 0, -1)]
    remainder = sum(d * w for d, w in zip(body, weights, strict=True)) % 11
    return check == (0 if remainder <= 1 else 11 - remainder)


def _my_number_like(values: pa.Array) -> pa.Array:
    shaped = _matches(values, MY_NUMBER)
    candidates = pc.filter(values, pc.fill_null(shaped, False))
    valid = {
        text
        for text in candidates.to_pylist()
        if my_number_valid("".join(c for c in text if c.isdigit()))
    }
    if not valid:
        return pc.and_(shaped, pa.scalar(False))
    return pc.and_(shaped, pc.is_in(values, value_set=pa.array(sorted(valid), values.type)))


CHECKS: dict[str, Callable[[pa.Array], pa.Array]] = {
    "email addresses": _email_like,
    "phone numbers": _phone_like,
    "hex digests (MD5, SHA-1, SHA-256 or SHA-512 of identifiers)": _hex_digest_like,
    "base64 digests (of identifiers)": _base64_digest_like,
    "US social security numbers": _ssn_like,
    "Japanese My Numbers": _my_number_like,
}


def is_text(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


def scan_column(name: str, values: pa.Array) -> list[TripwireHit]:
    """Hits of one batch of one string column, counted in values (empty when clean)."""
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    hits = []
    for pattern, check in CHECKS.items():
        count = _count(check(values))
        if count:
            hits.append(TripwireHit(name, pattern, count))
    return hits


def scan_rows(name: str, values: pa.Array) -> list[TripwireHit]:
    """Hits counted in rows, each distinct value checked once (a campaign column of a
    million rows has a few hundred values): what the agent runs on every batch."""
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
    hits = []
    for pattern, check in CHECKS.items():
        matched = pc.fill_null(check(encoded.dictionary), False)
        count = _count(pc.take(matched, encoded.indices)) if _count(matched) else 0
        if count:
            hits.append(TripwireHit(name, pattern, count))
    return hits


def _count(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)
