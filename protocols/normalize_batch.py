"""Normalization of whole Arrow columns: the fast path of :mod:`protocols.normalize`.

Values in the common, plain-ASCII shape are normalized with vectorized Arrow kernels;
every other value (unicode, odd whitespace, anything invalid) goes through the reference
functions of :mod:`protocols.normalize`, once per distinct value. A property test checks
that both paths agree on every input, so the scalar module stays the specification.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from protocols.identifiers import IdType, Reason
from protocols.normalize import (
    DEFAULT_OPTIONS,
    EMPTY_SHA256,
    GMAIL_DOMAINS,
    MAX_EMAIL_LENGTH,
    NormalizeOptions,
    Rejected,
    normalize,
)

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PLAIN_EMAIL = rf"^[ \t]*[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]+@{_LABEL}(?:\.{_LABEL})+[ \t]*$"
_PLAIN_HEX64 = r"^[ \t]*[0-9A-Fa-f]{64}[ \t]*$"

FastPath = Callable[[pa.StringArray, NormalizeOptions], tuple[pa.BooleanArray, pa.StringArray]]


@dataclass(frozen=True)
class NormalizedColumn:
    """Normalized values aligned with the input (null where rejected) and reject counts."""

    values: pa.StringArray
    rejected: Counter[Reason]

    @property
    def valid_count(self) -> int:
        return int(len(self.values) - self.values.null_count)


def normalize_array(
    id_type: IdType,
    array: pa.Array | pa.ChunkedArray,
    options: NormalizeOptions = DEFAULT_OPTIONS,
) -> NormalizedColumn:
    """Normalize every value of ``array``; nulls count as ``empty``."""
    strings = _as_strings(array)
    fast_path = _FAST_PATHS.get(id_type)
    if fast_path is None:
        return _normalize_distinct(id_type, strings, options)
    fast_mask, fast_values = fast_path(strings, options)
    slow_mask = pc.invert(fast_mask)
    slow = _normalize_distinct(id_type, strings.filter(slow_mask), options)
    values = pc.replace_with_mask(fast_values, slow_mask, slow.values)
    return NormalizedColumn(values, slow.rejected)


def _as_strings(array: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_large_string(array.type) or not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    return array


def _normalize_distinct(
    id_type: IdType, strings: pa.StringArray, options: NormalizeOptions
) -> NormalizedColumn:
    """Run the reference normalizer once per distinct value and spread the results."""
    encoded = pc.dictionary_encode(strings)
    outcomes = [normalize(id_type, raw, options) for raw in encoded.dictionary.to_pylist()]
    normalized = pa.array([o if isinstance(o, str) else None for o in outcomes], pa.string())
    values = normalized.take(encoded.indices)
    rejected: Counter[Reason] = Counter()
    if strings.null_count:
        rejected[Reason.EMPTY] += strings.null_count
    indices = encoded.indices.drop_null().to_numpy(zero_copy_only=False)
    rows_per_value = np.bincount(indices, minlength=len(outcomes))
    for outcome, rows in zip(outcomes, rows_per_value, strict=True):
        if isinstance(outcome, Rejected) and rows:
            rejected[outcome.reason] += int(rows)
    return NormalizedColumn(values, +rejected)


def _email_fast_path(
    strings: pa.StringArray, options: NormalizeOptions
) -> tuple[pa.BooleanArray, pa.StringArray]:
    plain = pc.fill_null(pc.match_substring_regex(strings, _PLAIN_EMAIL), False)
    lowered = pc.ascii_lower(pc.utf8_trim(strings, characters=" \t"))
    if options.fold_gmail:
        lowered = _fold_gmail(lowered)
    local_ok = pc.fill_null(pc.invert(pc.starts_with(lowered, "@")), False)
    short = pc.fill_null(pc.less_equal(pc.utf8_length(lowered), MAX_EMAIL_LENGTH), False)
    mask = pc.and_(pc.and_(plain, local_ok), short)
    return mask, pc.if_else(mask, lowered, None)


def _fold_gmail(emails: pa.StringArray) -> pa.StringArray:
    parts = pc.extract_regex(emails, r"^(?P<local>[^@]*)@(?P<domain>.*)$")
    local, domain = parts.field("local"), parts.field("domain")
    is_gmail = pc.fill_null(pc.is_in(domain, value_set=pa.array(sorted(GMAIL_DOMAINS))), False)
    folded = pc.replace_substring(pc.replace_substring_regex(local, r"\+.*$", ""), ".", "")
    joined = pc.binary_join_element_wise(folded, domain, "@")
    return pc.if_else(is_gmail, joined, emails)


def _sha256_fast_path(
    strings: pa.StringArray, options: NormalizeOptions
) -> tuple[pa.BooleanArray, pa.StringArray]:
    plain = pc.fill_null(pc.match_substring_regex(strings, _PLAIN_HEX64), False)
    lowered = pc.ascii_lower(pc.utf8_trim(strings, characters=" \t"))
    not_empty_hash = pc.fill_null(pc.not_equal(lowered, EMPTY_SHA256), False)
    mask = pc.and_(plain, not_empty_hash)
    return mask, pc.if_else(mask, lowered, None)


_FAST_PATHS: dict[IdType, FastPath] = {
    IdType.EMAIL: _email_fast_path,
    IdType.EMAIL_SHA256: _sha256_fast_path,
    IdType.PHONE_SHA256: _sha256_fast_path,
}
