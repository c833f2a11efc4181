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

The shapes are recognized, and their digits taken, in one pass over the Arrow buffers by
the optional C kernel ``protocols._phone_kernel`` (built by ``setup.py`` where a
compiler exists, the GIL released), else by the shapes' regexes and numpy
(:func:`nanpa_shapes_arrow`); a test holds the two equal.
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

try:
    from protocols import _phone_kernel
except ImportError:  # not built (no C compiler at install time): the regexes run
    _phone_kernel = None  # type: ignore[assignment]

Mask: TypeAlias = npt.NDArray[np.bool_]
#: One byte per value (its shape), or one row of ASCII digit bytes per value.
Kinds: TypeAlias = npt.NDArray[np.uint8]
Digits: TypeAlias = npt.NDArray[np.uint8]

_SEP = "[ .-]?"
_LINE = rf"(?:\([2-9][0-9]{{2}}\)|[2-9][0-9]{{2}}){_SEP}[0-9]{{3}}{_SEP}[0-9]{{4}}"
_INTERNATIONAL = rf"^\+1{_SEP}{_LINE}$"
_NATIONAL = rf"^(?:1{_SEP})?{_LINE}$"
_LOCAL = r"^[2-9][0-9]{2}[ .-]?[0-9]{4}$"
_NSN_LENGTH = 10
_LOCAL_LENGTH = 7
#: Every non-digit a shaped value can hold ("+1" leaves a leading 1 before the 10 digits).
_SEPARATORS = ("+", "(", ")", " ", ".", "-")


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


#: Shapes per value, as the kernel (protocols/_phone_kernel.c) numbers them.
KIND_OTHER, KIND_EMPTY, KIND_TEN, KIND_SEVEN = 0, 1, 2, 3
_WIDTH = _NSN_LENGTH


def kernel_enabled() -> bool:
    """Whether the compiled shape scanner is built (else the shapes run as regexes)."""
    return _phone_kernel is not None


def nanpa_shapes(strings: pa.StringArray, national: bool) -> tuple[Kinds, Digits]:
    """(kind of each value, its digits): the shapes of the module doc, one byte per value
    (:data:`KIND_OTHER`, :data:`KIND_EMPTY` after trimming, :data:`KIND_TEN`,
    :data:`KIND_SEVEN`) and ten digit bytes per value (the seven of a local number, then
    zeros; zeros where no shape matched). Null slots are classified as anything else.
    ``national``: the shapes without ``+1`` too. By the compiled kernel where it is built,
    else by :func:`nanpa_shapes_arrow`; a test holds the two equal."""
    if _phone_kernel is None or pa.types.is_large_string(strings.type):
        return nanpa_shapes_arrow(strings, national)
    _, offsets, data = strings.buffers()
    if offsets is None:
        return nanpa_shapes_arrow(strings, national)
    kinds, digits = _phone_kernel.nanpa_shapes(
        offsets, data or b"", strings.offset, len(strings), national
    )
    return (
        np.frombuffer(kinds, np.uint8),
        np.frombuffer(digits, np.uint8).reshape(len(strings), _WIDTH),
    )


def nanpa_shapes_arrow(strings: pa.StringArray, national: bool) -> tuple[Kinds, Digits]:
    """:func:`nanpa_shapes` by Arrow (RE2) regexes and numpy (no compiled kernel)."""
    core = pc.ascii_trim(strings, characters=" \t")
    kinds = np.full(len(strings), KIND_OTHER, np.uint8)
    digits = np.zeros((len(strings), _WIDTH), np.uint8)
    lengths = pc.fill_null(pc.binary_length(core), 0).to_numpy(zero_copy_only=False)
    kinds[lengths == 0] = KIND_EMPTY
    shapes = [(_INTERNATIONAL, _NSN_LENGTH, KIND_TEN)]
    if national:
        shapes += [(_NATIONAL, _NSN_LENGTH, KIND_TEN), (_LOCAL, _LOCAL_LENGTH, KIND_SEVEN)]
    for pattern, length, kind in shapes:
        shaped = _matches(core, pattern) & (kinds == KIND_OTHER)
        if not shaped.any():
            continue
        kinds[shaped] = kind
        digits[shaped, :length] = last_digits(core.filter(pa.array(shaped)), length)
    return kinds, digits


def last_digits(shaped: pa.StringArray, length: int) -> Digits:
    """The last ``length`` ASCII digits of each value, one row of bytes per value.

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
    digits: Digits = data[is_digit][ends[:, None] - length + np.arange(length)]
    return digits


def _fixed_width_strings(rows: Digits) -> pa.StringArray:
    count, width = rows.shape
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(rows)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))


def _e164(kinds: Kinds, digits: Digits, valid: Mask) -> pa.StringArray:
    """``+1`` and the digits of each valid row (ten or seven), null elsewhere."""
    lengths = np.where(valid, np.where(kinds == KIND_TEN, 12, 9), 0).astype(np.int32)
    offsets = np.zeros(len(kinds) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    rows = np.empty((len(kinds), 2 + _WIDTH), np.uint8)
    rows[:, :2] = np.frombuffer(b"+1", np.uint8)
    rows[:, 2:] = digits
    # Each row's first `length` bytes, in order: a mask over the fixed-width rows.
    keep = np.arange(2 + _WIDTH)[None, :] < lengths[:, None]
    data = rows[keep]
    bitmap = np.packbits(valid, bitorder="little")
    return pa.StringArray.from_buffers(
        len(kinds),
        pa.py_buffer(offsets),
        pa.py_buffer(data),
        pa.py_buffer(bitmap),
        int(len(kinds) - valid.sum()),
    )


def nanpa_fast_path(
    strings: pa.StringArray, region: str | None
) -> tuple[Mask, pa.StringArray, Counter[Reason]]:
    """(rows handled, E.164 values or null, reasons) for the shapes of the module doc."""
    kinds, digits = nanpa_shapes(strings, _national_shapes_allowed(region))
    nulls: Mask = pc.is_null(strings).to_numpy(zero_copy_only=False)
    kinds = np.where(nulls, KIND_EMPTY, kinds)
    valid = np.zeros(len(strings), dtype=bool)
    for kind, length in ((KIND_TEN, _NSN_LENGTH), (KIND_SEVEN, _LOCAL_LENGTH)):
        shaped = kinds == kind
        if shaped.any():
            valid[shaped] = valid_nanpa(_fixed_width_strings(digits[shaped, :length]), length)
    shaped = (kinds == KIND_TEN) | (kinds == KIND_SEVEN)
    rejected = Counter({Reason.EMPTY: int((kinds == KIND_EMPTY).sum())})
    rejected[Reason.INVALID_PHONE] += int((shaped & ~valid).sum())
    return kinds != KIND_OTHER, _e164(kinds, digits, valid), rejected
