"""Attribute conversion: declared types, nulls, failures and time zones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from party_agent.attributes import apply_nulls, apply_transforms, convert_attribute, naive_rows
from party_agent.mapping import AttributeSpec


def _convert(
    kind: str, values: list[Any], zone: str = "UTC", **extra: Any
) -> tuple[list[Any], list[bool]]:
    spec = AttributeSpec.model_validate({"column": "c", "type": kind, **extra})
    converted, failed = convert_attribute(spec, pa.array(values), zone)
    assert converted.type == spec.arrow_type()
    return converted.to_pylist(), failed.to_pylist()


def _epoch(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


def test_int_from_text_with_spaces_empty_and_garbage() -> None:
    assert _convert("int", [" 12", "-3", "", None, "1.5", "x"]) == (
        [12, -3, None, None, None, None],
        [False, False, False, False, True, True],
    )


def test_float_rejects_non_finite_values() -> None:
    values, failed = _convert("float", ["1.25", "1e3", "nan", "inf", "abc"])
    assert values == [1.25, 1000.0, None, None, None]
    assert failed == [False, False, True, True, True]


def test_decimal_refuses_to_round() -> None:
    values, failed = _convert("decimal", ["12.5", "0.01", "12.345"], scale=2)
    assert [str(v) if v is not None else None for v in values] == ["12.50", "0.01", None]
    assert failed == [False, False, True]


def test_bool_words() -> None:
    assert _convert("bool", ["Yes", "n", "TRUE", "0", "maybe", ""]) == (
        [True, False, True, False, None, None],
        [False, False, False, False, True, False],
    )


def test_string_from_numbers_in_parquet() -> None:
    assert _convert("string", [1, 2, None]) == (["1", "2", None], [False, False, False])


def test_timestamps_with_offsets_are_exact_and_naive_ones_use_the_zone() -> None:
    values, failed = _convert(
        "timestamp",
        [
            "2024-01-05T10:00:00Z",
            "2024-01-05T10:00:00+02:00",
            "2024-01-05 10:00:00",
            "2024-01-05",
            "1704448800",
            "2024-01-05T10:00:00.900",
            "soon",
        ],
        zone="Europe/Berlin",
    )
    assert values == [
        _epoch(2024, 1, 5, 10),
        _epoch(2024, 1, 5, 8),
        _epoch(2024, 1, 5, 9),
        _epoch(2024, 1, 4, 23),
        1704448800,
        _epoch(2024, 1, 5, 9),
        None,
    ]
    assert failed == [False] * 6 + [True]


def test_timestamp_default_zone_is_utc_and_format_is_honoured() -> None:
    assert _convert("timestamp", ["05/01/2024 10:00"], format="%d/%m/%Y %H:%M")[0] == [
        _epoch(2024, 1, 5, 10)
    ]


def test_timestamp_columns_from_parquet() -> None:
    naive = pa.array([datetime(2024, 1, 5, 10)], pa.timestamp("us"))
    spec = AttributeSpec(column="c", type="timestamp")
    converted, _ = convert_attribute(spec, naive, "America/New_York")
    assert converted.to_pylist() == [_epoch(2024, 1, 5, 15)]


@pytest.mark.parametrize(
    ("local", "expected"),
    [("2024-03-10 02:30:00", (2024, 3, 10, 7)), ("2024-11-03 01:30:00", (2024, 11, 3, 5, 30))],
)
def test_dst_gaps_and_overlaps_are_resolved_not_failed(
    local: str, expected: tuple[int, ...]
) -> None:
    assert _convert("timestamp", [local], zone="America/New_York") == ([_epoch(*expected)], [False])


def _spec(**fields: Any) -> AttributeSpec:
    return AttributeSpec.model_validate({"column": "c", **fields})


def test_declared_null_values_become_null_and_nothing_else_does() -> None:
    spec = _spec(type="float", null_values=["NaN", "N/A", "NULL"])
    marked = apply_nulls(spec, pa.array([" N/A", "NULL", "NaN", "null", "1.5", None]))
    assert marked.to_pylist() == [None, None, None, "null", "1.5", None]


def test_a_declared_nan_covers_float_nan_too() -> None:
    marked = apply_nulls(_spec(type="float", null_values=["NaN"]), pa.array([1.0, float("nan")]))
    assert marked.to_pylist() == [1.0, None]
    values, failed = _convert("float", [1.0, float("nan")])
    assert (values, failed) == ([1.0, None], [False, True])  # undeclared NaN is invalid


def test_transforms_run_in_order_then_the_value_map(monkeypatch: pytest.MonkeyPatch) -> None:
    from party_agent import attributes

    calls: list[str] = []
    original = attributes._transform

    def counting(spec: AttributeSpec, value: str) -> str:
        calls.append(value)
        return original(spec, value)

    monkeypatch.setattr(attributes, "_transform", counting)
    spec = _spec(type="string", transform=["trim", "lower"], values={"connected tv": "ctv"})
    column = pa.array(["CTV", " ctv", "Connected TV", "CTV", None, "Search", "CTV"])
    assert apply_transforms(spec, column).to_pylist() == [
        "ctv",
        "ctv",
        "ctv",
        "ctv",
        None,
        "search",
        "ctv",
    ]
    assert sorted(calls) == sorted(["CTV", " ctv", "Connected TV", "Search"])  # once each


@pytest.mark.parametrize(
    ("values", "naive"),
    [
        (["2024-01-05 10:00:00", "2024-01-05T10:00:00+09:00", "2024-01-05T01:00Z"], [1, 0, 0]),
        (["1704067200", "", None, "2024-01-05"], [0, 0, 0, 1]),
    ],
)
def test_naive_rows_are_those_without_an_offset(values: list[Any], naive: list[int]) -> None:
    found = naive_rows(_spec(type="timestamp"), pa.array(values, pa.string()))
    assert found.to_pylist() == [bool(n) for n in naive]


def test_naive_rows_of_typed_columns() -> None:
    spec = _spec(type="timestamp")
    assert naive_rows(spec, pa.array([1, None], pa.timestamp("s"))).to_pylist() == [True, False]
    aware = pa.array([1], pa.timestamp("s", tz="Asia/Tokyo"))
    assert naive_rows(spec, aware).to_pylist() == [False]
    assert naive_rows(spec, pa.array([1704067200], pa.int64())).to_pylist() == [False]
    with_offset = _spec(type="timestamp", format="%Y%m%d %H%M%z")
    assert naive_rows(with_offset, pa.array(["20240105 1000+0900"])).to_pylist() == [False]


def test_a_jst_wall_clock_time_is_nine_hours_before_utc() -> None:
    values, _ = _convert("timestamp", ["2024-01-05 09:00:00"], zone="Asia/Tokyo")
    assert values == [_epoch(2024, 1, 5, 0, 0)]
