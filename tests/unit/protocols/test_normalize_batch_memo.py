"""The reference outcomes remembered across batches are those of the reference, bounded."""

from __future__ import annotations

import pyarrow as pa
import pytest

from protocols import IdType, NormalizeOptions, normalize, normalize_batch
from protocols.normalize_batch import normalize_array

ODD_PHONES = ["call me", "(123) 555-0100", "+44 20 7946 0958", "555-01", "+1 212 555 0100 x"]


def test_remembered_outcomes_equal_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalize_batch, "_memo", {})
    us, gb = NormalizeOptions(region="US"), NormalizeOptions(region="GB")
    for options in (us, gb, us, gb):  # the second round reads what the first remembered
        column = normalize_array(IdType.PHONE, pa.array(ODD_PHONES), options)
        expected = [normalize(IdType.PHONE, raw, options) for raw in ODD_PHONES]
        assert column.values.to_pylist() == [e if isinstance(e, str) else None for e in expected]
    assert set(normalize_batch._memo) == {(IdType.PHONE, us), (IdType.PHONE, gb)}


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalize_batch, "_memo", {})
    monkeypatch.setattr(normalize_batch, "MEMO_LIMIT", 10)
    for start in range(0, 100, 7):
        ids = [f"cust-{i}" for i in range(start, start + 7)]
        normalize_array(IdType.CUSTOMER_ID, pa.array(ids))
        assert all(len(memo) <= 10 for memo in normalize_batch._memo.values())
    many = [f"cust-{i}" for i in range(11)]
    assert normalize_array(IdType.CUSTOMER_ID, pa.array(many)).values.to_pylist() == many
