"""cleanroom.blinding.shuffle: a uniform random order of the non-null points, written
through bucket files so memory stays bounded; nothing is left behind."""

from __future__ import annotations

import secrets
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.blinding import shuffle
from cleanroom.blinding.shuffle import shuffle_to_files


def _write(path: Path, tokens: list[bytes | None], row_group: int = 1_000) -> None:
    table = pa.table({"token_email": pa.array(tokens, pa.binary(32))})
    pq.write_table(table, path, row_group_size=row_group)


def _read(folder: Path) -> tuple[list[int], list[bytes]]:
    order = np.frombuffer((folder / "order.bin").read_bytes(), "<u8").tolist()
    relay = (folder / "relay.bin").read_bytes()
    return order, [relay[i * 32 : (i + 1) * 32] for i in range(len(relay) // 32)]


def _shuffle(tmp_path: Path, source: Path) -> tuple[int, list[int], list[bytes]]:
    folder = tmp_path / "batch"
    count = shuffle_to_files(source, "token_email", folder / "relay.bin", folder / "order.bin")
    assert sorted(p.name for p in folder.iterdir()) == ["order.bin", "relay.bin"]  # no buckets
    return (count, *_read(folder))


def test_many_buckets_and_record_batches_give_a_permutation_of_the_non_null_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shuffle, "BUCKET_ROWS", 50)  # 1,000 rows: 20 buckets
    monkeypatch.setattr(shuffle, "READ_ROWS", 64)  # and 16 record batches, across row groups
    tokens = [None if i % 7 == 3 else secrets.token_bytes(32) for i in range(1_000)]
    _write(tmp_path / "v.parquet", tokens, row_group=300)
    count, order, points = _shuffle(tmp_path, tmp_path / "v.parquet")
    non_null = [i for i, t in enumerate(tokens) if t is not None]
    assert count == len(non_null) == len(order)
    assert sorted(order) == non_null and order != non_null
    assert points == [tokens[row] for row in order]


def test_every_order_is_equally_likely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """3 rows in 3 buckets, 600 shuffles: each of the 6 orders about 100 times (a fair
    shuffle falls outside 55-145 with probability below 1e-5)."""
    monkeypatch.setattr(shuffle, "BUCKET_ROWS", 1)
    tokens: list[bytes | None] = [bytes([i]) * 32 for i in range(3)]
    _write(tmp_path / "v.parquet", tokens)
    seen: Counter[tuple[int, ...]] = Counter()
    for _ in range(600):
        _, order, _ = _shuffle(tmp_path, tmp_path / "v.parquet")
        seen[tuple(order)] += 1
    assert len(seen) == 6
    assert all(55 <= n <= 145 for n in seen.values()), seen


def test_a_column_of_nulls_gives_empty_files(tmp_path: Path) -> None:
    _write(tmp_path / "v.parquet", [None] * 5)
    assert _shuffle(tmp_path, tmp_path / "v.parquet") == (0, [], [])
