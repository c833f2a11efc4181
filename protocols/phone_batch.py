"""Vectorized normalization of North American phone numbers (country calling code 1).

Parsing and validating one number with ``phonenumbers`` costs about 30 us, so a column
of a million distinct phones would take half a minute. For the commonest shapes,

    +1 212 555 1234   +1 (212) 555-1234   +12125551234              (any region)
    (212) 555-1234    212.555.1234   2125551234   1-212-555-1234    (a region of code 1)
    555-1234          5551234                                        (a region of code 1)

``phonenumbers.parse`` always yields country code 1 and the last ten (or the seven)
digits as the national number, so the E.164 form is ``+1`` and those digits, if the
number is valid.
Validity is decided here the way ``phonenumbers.is_valid_number`` decides it, with the
library's own metadata patterns run as Arrow (RE2) regexes: the first region of code 1
whose leading digits match (or, for regions without leading digits, whose patterns
match) picks the region, and the number is valid if that region's general pattern and
one of its number-type patterns match. Other shapes go through the reference path. A
property test checks this against ``protocols.normalize`` on generated numbers.
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

from protocols.identifiers import Reason

Mask: TypeAlias = npt.NDArray[np.bool_]

_SEP = "[ .-]?"
_LINE = rf"(?:\([2-9][0-9]{{2}}\)|[2-9][0-9]{{2}}){_SEP}[0-9]{{3}}{_SEP}[0-9]{{4}}"
_INTERNATIONAL = rf"^\+1{_SEP}{_LINE}$"
_NATIONAL = rf"^(?:1{_SEP})?{_LINE}$"
_LOCAL = r"^[2-9][0-9]{2}[ .-]?[0-9]{4}$"
_NSN_LENGTH = 10
_LOCAL_LENGTH = 7
#: Every non-digit a shaped value can hold ("+1" leaves a leading 1 before the 10 digits).
_SEPARATORS = ("+", "(", ")", " ", ".", "-")
#: A null string scalar (``pa.scalar`` would import pandas, at import time).
_NULL = pa.nulls(1, pa.string())[0]


@functools.cache
def _national_shapes_allowed(region: str | None) -> bool:
    """National shapes are parsed as above only in regions of code 1 that strip just "1"."""
    if region is None or phonenumbers.country_code_for_region(region) != 1:
        return False
    metadata = PhoneMetadata.metadata_for_region(region)
    return bool(
        metadata is not None
        and metadata.national_prefix_for_parsing == "1"
        and metadata.national_prefix_transform_rule is None
    )


def _desc_regex(desc: PhoneNumberDesc | None, length: int) -> str | None:
    """The pattern a national number of ``length`` digits must fully match for ``desc``."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return f"(?:{desc.national_number_pattern})"


@functools.cache
def _region_rules(length: int) -> tuple[tuple[str | None, str | None, str | None], ...]:
    """Per region of code 1, in the library's order: (leading digits, general, any type)."""
    rules = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            continue
        types = [
            _desc_regex(getattr(metadata, name), length)
            for name in (
                "premium_rate",
                "toll_free",
                "shared_cost",
                "voip",
                "personal_number",
                "pager",
                "uan",
                "voicemail",
                "fixed_line",
                "mobile",
            )
        ]
        present = [t for t in types if t is not None]
        general = _desc_regex(metadata.general_desc, length)
        rules.append(
            (
                f"^(?:{metadata.leading_digits})" if metadata.leading_digits else None,
                f"^{general}$" if general else None,
                f"^(?:{'|'.join(present)})$" if present else None,
            )
        )
    return tuple(rules)


def _matches(values: pa.StringArray, pattern: str | None) -> Mask:
    if pattern is None:
        return np.zeros(len(values), dtype=bool)
    matched = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    result: Mask = matched.to_numpy(zero_copy_only=False)
    return result


def valid_nanpa(numbers: pa.StringArray, length: int) -> Mask:
    """``phonenumbers.is_valid_number`` for country code 1 and national ``numbers``.

    Every number must have ``length`` digits and no leading zero.
    """
    valid = np.zeros(len(numbers), dtype=bool)
    undecided = np.arange(len(numbers))
    for leading, general, types in _region_rules(length):
        if not len(undecided):
            break
        subset = numbers.take(pa.array(undecided))
        typed = _matches(subset, general) & _matches(subset, types)
        chosen = _matches(subset, leading) if leading else typed
        valid[undecided[chosen]] = typed[chosen]
        undecided = undecided[~chosen]
    return valid


def last_digits(
    shaped: pa.StringArray, length: int, prefix: bytes
) -> tuple[pa.StringArray, pa.StringArray]:
    """The last ``length`` ASCII digits of each value, alone and after ``prefix``.

    Every value is non-null, holds at least ``length`` digits and, apart from them, only
    :data:`_SEPARATORS` (the shapes guarantee it), so this equals removing the
    separators and keeping the last ``length`` characters; done over the Arrow buffers
    with numpy, in one pass instead of one per separator.
    """
    count = len(shaped)
    _, offsets_buffer, data_buffer = shaped.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int32, count + 1, shaped.offset * 4)
    start = int(offsets[0])
    data = np.frombuffer(data_buffer or b"", np.uint8, int(offsets[-1]) - start, start)
    is_digit = (data >= ord("0")) & (data <= ord("9"))
    # Digits up to each value's last byte (every value is non-empty): its end in `digits`.
    ends = np.cumsum(is_digit, dtype=np.int64)[offsets[1:] - start - 1]
    digits = data[is_digit]
    prefixed = np.empty((count, len(prefix) + length), np.uint8)
    prefixed[:, : len(prefix)] = np.frombuffer(prefix, np.uint8)
    prefixed[:, len(prefix) :] = digits[ends[:, None] - length + np.arange(length)]
    return _fixed_width_strings(prefixed[:, len(prefix) :]), _fixed_width_strings(prefixed)


def _fixed_width_strings(rows: npt.NDArray[np.uint8]) -> pa.StringArray:
    count, width = rows.shape
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(rows)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))


def nanpa_fast_path(
    strings: pa.StringArray, region: str | None
) -> tuple[Mask, pa.StringArray, Counter[Reason]]:
    """(rows handled, E.164 values or null, reasons) for the shapes of the module doc."""
    core = pc.ascii_trim(strings, characters=" \t")
    values = pa.nulls(len(strings), pa.string())
    nulls: Mask = pc.is_null(strings).to_numpy(zero_copy_only=False)
    empty = ~nulls & (pc.fill_null(pc.binary_length(core), 1).to_numpy() == 0)
    handled = nulls | empty
    rejected = Counter({Reason.EMPTY: int(handled.sum())})
    shapes = [(_INTERNATIONAL, _NSN_LENGTH)]
    if _national_shapes_allowed(region):
        shapes += [(_NATIONAL, _NSN_LENGTH), (_LOCAL, _LOCAL_LENGTH)]
    for pattern, length in shapes:
        shaped = _matches(core, pattern) & ~handled
        if not shaped.any():
            continue
        mask = pa.array(shaped)
        numbers, e164 = last_digits(core.filter(mask), length, b"+1")
        valid = valid_nanpa(numbers, length)
        values = pc.replace_with_mask(values, mask, pc.if_else(pa.array(valid), e164, _NULL))
        rejected[Reason.INVALID_PHONE] += int((~valid).sum())
        handled |= shaped
    return handled, values, rejected
