"""Normalization of whole Arrow columns: the fast path of :mod:`protocols.normalize`.

Values made only of printable ASCII (plus spaces and tabs) are normalized, or rejected
with their reason, by vectorized Arrow kernels; every other value (unicode, line breaks,
other control characters) goes through the reference functions of
:mod:`protocols.normalize`, once per distinct value. A property test checks that both
paths agree on every input, so the scalar module stays the specification.

Why the ASCII rules equal the reference: NFC leaves ASCII unchanged, ``str.strip`` and
``str.lower`` act on it as ``ascii_trim(" \\t")`` and ``ascii_lower`` do (space and tab
are its only whitespace, and tab its only control character), and for lowercase ASCII
a domain label ``(?!-)[^\\W_](?:[^\\W_]|-)*(?<!-)`` is exactly :data:`_LABEL`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from protocols.identifiers import IdType, Reason
from protocols.normalize import (
    DEFAULT_OPTIONS,
    EMPTY_SHA256,
    GMAIL_DOMAIN,
    GMAIL_DOMAINS,
    MAX_EMAIL_LENGTH,
    NormalizeOptions,
    Rejected,
    normalize,
)
from protocols.phone_batch import nanpa_fast_path

Mask: TypeAlias = npt.NDArray[np.bool_]

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
#: A trimmed, lowercased email that is valid apart from folding and length: printable
#: ASCII, no whitespace, one "@", valid domain labels (the local part may be empty).
_PLAIN_EMAIL = rf"^[\x21-\x3f\x41-\x7e]*@{_LABEL}(?:\.{_LABEL})+$"
_PLAIN_HEX64 = r"^[0-9a-f]{64}$"
#: Any character outside printable ASCII, space and tab: left to the reference path.
_NOT_PLAIN_ASCII = r"[^\t\x20-\x7e]"
#: A null string scalar (``pa.scalar`` would import pandas, at import time).
_NULL = pa.nulls(1, pa.string())[0]


@dataclass(frozen=True)
class NormalizedColumn:
    """Normalized values aligned with the input (null where rejected) and reject counts."""

    values: pa.StringArray
    rejected: Counter[Reason]

    @property
    def valid_count(self) -> int:
        return int(len(self.values) - self.values.null_count)


@dataclass(frozen=True)
class FastResult:
    """What a fast path decided: rows it ``handled`` (valid or rejected), their values
    (null where rejected or not handled) and the reasons of its rejections."""

    handled: Mask
    values: pa.StringArray
    rejected: Counter[Reason]


FastPath = Callable[[pa.StringArray, NormalizeOptions], FastResult]


def normalize_array(
    id_type: IdType,
    array: pa.Array | pa.ChunkedArray,
    options: NormalizeOptions = DEFAULT_OPTIONS,
) -> NormalizedColumn:
    """Normalize every value of ``array``; nulls count as ``empty``."""
    strings = as_strings(array)
    fast_path = _FAST_PATHS.get(id_type)
    if fast_path is None:
        return _normalize_distinct(id_type, strings, options)
    fast = fast_path(strings, options)
    if fast.handled.all():
        return NormalizedColumn(fast.values, +fast.rejected)
    slow_mask = pa.array(~fast.handled)
    slow = _normalize_distinct(id_type, strings.filter(slow_mask), options)
    values = pc.replace_with_mask(fast.values, slow_mask, slow.values)
    return NormalizedColumn(values, +(fast.rejected + slow.rejected))


def as_strings(array: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    """One plain ``string`` array from chunked, dictionary or large-string input."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_large_string(array.type) or not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    return array


#: Reference outcomes remembered across batches, per identifier type and options: an
#: export repeats its customers, and the shapes the fast paths leave (odd phone formats)
#: cost about 30 us each in ``phonenumbers``. Bounded (cleared when full); it holds raw
#: values in this process's memory only, as the batch being normalized does.
MEMO_LIMIT = 100_000
_memo: dict[tuple[IdType, NormalizeOptions], dict[str, str | Rejected]] = {}


def forget_reference_outcomes() -> None:
    """Empty the memory of reference outcomes (benchmarks start each repetition cold)."""
    _memo.clear()


def _reference_outcomes(
    id_type: IdType, raws: list[str], options: NormalizeOptions
) -> list[str | Rejected]:
    if len(raws) > MEMO_LIMIT:  # mostly unique values (customer ids): nothing to remember
        return [normalize(id_type, raw, options) for raw in raws]
    memo = _memo.setdefault((id_type, options), {})
    if len(memo) + len(raws) > MEMO_LIMIT:
        memo.clear()
    outcomes = []
    for raw in raws:
        outcome = memo.get(raw)
        if outcome is None:
            outcome = memo[raw] = normalize(id_type, raw, options)
        outcomes.append(outcome)
    return outcomes


def _normalize_distinct(
    id_type: IdType, strings: pa.StringArray, options: NormalizeOptions
) -> NormalizedColumn:
    """Run the reference normalizer once per distinct value and spread the results."""
    encoded = pc.dictionary_encode(strings)
    outcomes = _reference_outcomes(id_type, encoded.dictionary.to_pylist(), options)
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


def _np(mask: pa.BooleanArray) -> Mask:
    """A boolean Arrow array as numpy, null counting as false."""
    result: Mask = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return result


def _core(strings: pa.StringArray) -> pa.StringArray:
    """``strip()`` then ``lower()`` as the reference does them, for plain-ASCII values."""
    return pc.ascii_lower(pc.ascii_trim(strings, characters=" \t"))


def _email_fast_path(strings: pa.StringArray, options: NormalizeOptions) -> FastResult:
    core = _core(strings)
    plain = _np(pc.match_substring_regex(core, _PLAIN_EMAIL))
    emails = _fold_gmail(core, plain) if options.fold_gmail else core
    empty_local = plain & _np(pc.starts_with(emails, "@"))
    too_long = plain & ~empty_local & (_lengths(emails) > MAX_EMAIL_LENGTH)
    valid = plain & ~empty_local & ~too_long
    rejected = Counter({Reason.EMPTY_LOCAL_PART: int(empty_local.sum())})
    rejected[Reason.TOO_LONG] += int(too_long.sum())
    nulls = _np(pc.is_null(strings))
    rejected[Reason.EMPTY] += int(nulls.sum())
    rest = ~plain & ~nulls
    handled = plain | nulls
    if rest.any():
        rest_handled, rest_rejected = _email_rest(core.filter(pa.array(rest)))
        handled[np.flatnonzero(rest)] = rest_handled
        rejected += rest_rejected
    return FastResult(handled, pc.if_else(pa.array(valid), emails, _NULL), rejected)


def _email_rest(core: pa.StringArray) -> tuple[Mask, Counter[Reason]]:
    """Reasons for the plain-ASCII values that failed :data:`_PLAIN_EMAIL`.

    Such a value without whitespace and with one "@" can only have failed on its domain.
    """
    at_signs = pc.count_substring(core, "@").to_numpy(zero_copy_only=False)
    rules = [
        (Reason.EMPTY, _lengths(core) == 0),
        (Reason.CONTROL_CHARACTER, _np(pc.match_substring(core, "\t"))),
        (Reason.CONTAINS_WHITESPACE, _np(pc.match_substring(core, " "))),
        (Reason.NO_AT_SIGN, at_signs == 0),
        (Reason.MULTIPLE_AT_SIGNS, at_signs > 1),
        (Reason.INVALID_DOMAIN, np.ones(len(core), dtype=bool)),
    ]
    return _first_rule(_np(pc.match_substring_regex(core, _NOT_PLAIN_ASCII)), rules)


def _first_rule(unhandled: Mask, rules: list[tuple[Reason, Mask]]) -> tuple[Mask, Counter[Reason]]:
    """Reject each row not ``unhandled`` by the first rule it meets, in order."""
    undecided = ~unhandled
    rejected: Counter[Reason] = Counter()
    for reason, condition in rules:
        hits = undecided & condition
        rejected[reason] += int(hits.sum())
        undecided &= ~hits
    return ~unhandled & ~undecided, rejected


def _lengths(strings: pa.StringArray) -> npt.NDArray[np.int64]:
    lengths: npt.NDArray[np.int64] = pc.fill_null(pc.binary_length(strings), 0).to_numpy(
        zero_copy_only=False
    )
    return lengths


def _fold_gmail(emails: pa.StringArray, plain: Mask) -> pa.StringArray:
    """Drop dots and ``+suffix`` from Gmail local parts (``plain`` rows have one "@"),
    and write both Gmail domains as ``gmail.com``.

    A plain row ending in "@gmail.com" has that domain, so its local part is a fixed
    slice (plain rows are ASCII: code units are characters).
    """
    for domain in sorted(GMAIL_DOMAINS):
        suffix = "@" + domain
        mask = _np(pc.ends_with(emails, suffix)) & plain
        if not mask.any():
            continue
        arrow_mask = pa.array(mask)
        local = pc.utf8_slice_codeunits(emails.filter(arrow_mask), 0, -len(suffix))
        local = pc.list_element(pc.split_pattern(local, "+", max_splits=1), 0)
        local = pc.replace_substring(local, ".", "")
        folded = pc.binary_join_element_wise(local, pa.scalar("@" + GMAIL_DOMAIN), "")
        emails = pc.replace_with_mask(emails, arrow_mask, folded)
    return emails


def _sha256_fast_path(strings: pa.StringArray, options: NormalizeOptions) -> FastResult:
    core = _core(strings)
    is_empty_hash = _np(pc.equal(core, EMPTY_SHA256))
    valid = _np(pc.match_substring_regex(core, _PLAIN_HEX64)) & ~is_empty_hash
    nulls = _np(pc.is_null(strings))
    rest = ~valid & ~nulls
    handled = valid | nulls
    rejected = Counter({Reason.EMPTY: int(nulls.sum())})
    if rest.any():
        rest_core = core.filter(pa.array(rest))
        rules = [
            (Reason.EMPTY, (_lengths(rest_core) == 0) | is_empty_hash[rest]),
            (Reason.BAD_HEX, np.ones(len(rest_core), dtype=bool)),
        ]
        unhandled = _np(pc.match_substring_regex(rest_core, _NOT_PLAIN_ASCII))
        rest_handled, rest_rejected = _first_rule(unhandled, rules)
        handled[np.flatnonzero(rest)] = rest_handled
        rejected += rest_rejected
    return FastResult(handled, pc.if_else(pa.array(valid), core, _NULL), rejected)


def _phone_fast_path(strings: pa.StringArray, options: NormalizeOptions) -> FastResult:
    handled, values, rejected = nanpa_fast_path(strings, options.region)
    return FastResult(handled, values, rejected)


_FAST_PATHS: dict[IdType, FastPath] = {
    IdType.EMAIL: _email_fast_path,
    IdType.PHONE: _phone_fast_path,
    IdType.EMAIL_SHA256: _sha256_fast_path,
    IdType.PHONE_SHA256: _sha256_fast_path,
}
