"""Converting attribute columns to their declared types.

Each converter returns an array of the output type where a value that does not parse
is null; :func:`convert_attribute` pairs it with the mask of such failures (input
present, output null), so the caller can stop with the row number or drop the rows.
Empty cells and nulls stay null and are not failures.

Types: ``string``; ``int`` (int64); ``float`` (float64, finite only); ``decimal``
(decimal128(precision, scale); more fractional digits than ``scale`` is a failure,
never a silent rounding); ``bool`` (true/false, t/f, yes/no, y/n, 1/0, any case);
``timestamp`` -> int64 epoch seconds (fractions truncated). Timestamps with a zone or
offset are exact; without one they are read in the attribute's ``timezone``, else the
mapping's (or ``--timezone``; with none the pipeline refuses them, see
:func:`naive_rows`); a time that a DST change skips counts as the first valid instant
after it and an ambiguous one as the earlier instant. Digit-only text and integer
columns are taken as epoch seconds already.

Before conversion, :func:`apply_nulls` turns the column's declared ``null_values`` into
nulls (a declared ``NaN`` also covers float NaN in Parquet), and :func:`apply_transforms`
runs a string attribute's ``transform`` steps and ``values`` map once per distinct value.
:func:`naive_rows` marks timestamps written without an offset, which need a zone.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from party_agent.mapping import AttributeSpec

_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]
_OFFSET = r"\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"
_EPOCH = r"^[+-]?\d{1,12}$"
_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def convert_attribute(
    spec: AttributeSpec, array: pa.Array, zone: str
) -> tuple[pa.Array, pa.BooleanArray]:
    """``(converted, failed)`` for one column of one batch."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    if pa.types.is_string(array.type) and spec.type != "string":
        array = pc.utf8_trim_whitespace(array)
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    converted = _CONVERTERS[spec.type](spec, array, zone)
    failed = pc.and_(pc.is_valid(array), pc.is_null(converted))
    return converted, failed


def apply_nulls(spec: AttributeSpec, array: pa.Array) -> pa.Array:
    """``array`` with the declared ``null_values`` (compared after trimming) as nulls."""
    if not spec.null_values:
        return array
    if pa.types.is_floating(array.type) and any(v.lower() == "nan" for v in spec.null_values):
        return pc.if_else(pc.is_nan(array), pa.scalar(None, array.type), array)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return array
    marked = pc.is_in(pc.utf8_trim_whitespace(array), value_set=pa.array(spec.null_values))
    return pc.if_else(marked, pa.scalar(None, array.type), array)


def apply_transforms(spec: AttributeSpec, array: pa.Array) -> pa.Array:
    """A string attribute's ``transform`` steps, then its ``values`` map, computed once
    per distinct value and spread back over the rows."""
    if not (spec.transform or spec.values):
        return array
    encoded = pc.dictionary_encode(array.cast(pa.string()))
    distinct = encoded.dictionary.to_pylist()
    mapped = [_transform(spec, value) for value in distinct]
    return pa.array(mapped, pa.string()).take(encoded.indices)


def _transform(spec: AttributeSpec, value: str) -> str:
    for step in spec.transform:
        value = _STEPS[step](value)
    return spec.values.get(value, value)


_STEPS: dict[str, Callable[[str], str]] = {
    "trim": str.strip,
    "lower": str.lower,
    "upper": str.upper,
}


def naive_rows(spec: AttributeSpec, array: pa.Array) -> pa.BooleanArray:
    """Rows of a timestamp column written without an offset (they need a zone)."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_date(kind) or (pa.types.is_timestamp(kind) and kind.tz is None):
        return pc.is_valid(array)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return pc.and_(pc.is_valid(array), pa.scalar(False))
    text = pc.utf8_trim_whitespace(array.cast(pa.string()))
    present = pc.and_(pc.is_valid(text), pc.not_equal(text, ""))
    if spec.format is not None:
        with_offset = "%z" in spec.format
        return pc.fill_null(pc.and_(present, pa.scalar(not with_offset)), False)
    aware = pc.or_(pc.match_substring_regex(text, _OFFSET), pc.match_substring_regex(text, _EPOCH))
    return pc.fill_null(pc.and_not(present, aware), False)


def cast_lenient(array: pa.Array, target: pa.DataType) -> pa.Array:
    """``array`` cast to ``target`` with null where a value does not cast.

    The whole-array cast is the fast path; when it fails, each distinct value is cast
    on its own (only batches that hold a bad value pay for this).
    """
    try:
        return pc.cast(array, target)
    except _CAST_ERRORS:
        pass
    encoded = pc.dictionary_encode(array)
    outcomes = []
    for value in encoded.dictionary:
        try:
            outcomes.append(pc.cast(pa.array([value.as_py()], array.type), target)[0].as_py())
        except _CAST_ERRORS:
            outcomes.append(None)
    return pa.array(outcomes, target).take(encoded.indices)


def _string(spec: AttributeSpec, array: pa.Array, zone: str) -> pa.Array:
    return array if pa.types.is_string(array.type) else cast_lenient(array, pa.string())


def _int(spec: AttributeSpec, array: pa.Array, zone: str) -> pa.Array:
    return cast_lenient(array, pa.int64())


def _float(spec: AttributeSpec, array: pa.Array, zone: str) -> pa.Array:
    values = cast_lenient(array, pa.float64())
    return pc.if_else(pc.is_finite(values), values, pa.scalar(None, pa.float64()))


def _decimal(spec: AttributeSpec, array: pa.Array, zone: str) -> pa.Array:
    return cast_lenient(array, spec.arrow_type())


def _bool(spec: AttributeSpec, array: pa.Array, zone: str) -> pa.Array:
    if not pa.types.is_string(array.type):
        return cast_lenient(array, pa.bool_())
    lowered = pc.utf8_lower(array)
    truthy = pc.is_in(lowered, value_set=pa.array(_TRUE))
    falsy = pc.is_in(lowered, value_set=pa.array(_FALSE))
    known = pc.or_(truthy, falsy)
    return pc.if_else(known, truthy, pa.scalar(None, pa.bool_()))


def _timestamp(spec: AttributeSpec, array: pa.Array, zone: str) -> pa.Array:
    # A naive value only reaches here with a zone: the pipeline refuses it otherwise.
    kind = array.type
    if pa.types.is_integer(kind):
        return cast_lenient(array, pa.int64())
    if pa.types.is_date(kind):
        array = pc.cast(array, pa.timestamp("s"))
    if pa.types.is_timestamp(array.type):
        return _epoch_seconds(array, zone)
    if not pa.types.is_string(kind):
        return pa.nulls(len(array), pa.int64())
    if spec.format is not None:
        parsed = pc.strptime(array, format=spec.format, unit="s", error_is_null=True)
        return _epoch_seconds(parsed, zone)
    return _iso_timestamp(array, zone)


def _iso_timestamp(array: pa.StringArray, zone: str) -> pa.Array:
    """Epoch digits as they are, ISO text with an offset exactly, the rest in ``zone``;
    a kind that no row has is skipped (an export usually writes one)."""
    nothing = pa.nulls(1, pa.string())[0]
    epoch_mask = pc.match_substring_regex(array, _EPOCH)
    aware_mask = pc.and_not(pc.match_substring_regex(array, _OFFSET), epoch_mask)
    naive_mask = pc.invert(pc.or_(epoch_mask, aware_mask))
    parts = []
    for mask, target in ((epoch_mask, pa.int64()), (aware_mask, _AWARE), (naive_mask, _NAIVE)):
        if pc.any(mask).as_py():
            parsed = cast_lenient(pc.if_else(mask, array, nothing), target)
            parts.append(parsed if target == pa.int64() else _epoch_seconds(parsed, zone))
    if not parts:
        return pa.nulls(len(array), pa.int64())
    return pc.coalesce(*parts) if len(parts) > 1 else parts[0]


_AWARE = pa.timestamp("us", tz="UTC")
_NAIVE = pa.timestamp("us")


def _epoch_seconds(array: pa.Array, zone: str) -> pa.Array:
    if array.type.tz is None and zone != "UTC":  # read in UTC, a naive time is its instant
        array = pc.assume_timezone(array, zone, ambiguous="earliest", nonexistent="latest")
    seconds = pc.cast(array, pa.timestamp("s", tz=array.type.tz), safe=False)
    return pc.cast(seconds, pa.int64())


_CONVERTERS: dict[str, Callable[[AttributeSpec, pa.Array, str], pa.Array]] = {
    "string": _string,
    "int": _int,
    "float": _float,
    "decimal": _decimal,
    "bool": _bool,
    "timestamp": _timestamp,
}
