"""Exact duplicate rows: exact on small inputs, an unbiased sample in bounded memory."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pytest

from party_agent import duplicates
from party_agent.duplicates import DuplicateRows, row_hashes
from protocols import token_field


def _batch(
    tokens: list[bytes | None], amounts: list[float | None], stores: list[str | None]
) -> pa.RecordBatch:
    schema = pa.schema([token_field("email"), ("amount", pa.float64()), ("store", pa.string())])
    return pa.record_batch([pa.array(tokens, schema.field(0).type), amounts, stores], schema=schema)


def test_equal_rows_share_a_hash_and_any_difference_changes_it() -> None:
    t1, t2 = bytes(32), bytes([1]) * 32
    batch = _batch(
        [t1, t1, t2, t1, None, None, t1],
        [1.0, 1.0, 1.0, 2.0, 1.0, 1.0, None],
        ["a", "a", "a", "a", "a", "a", "a"],
    )
    hashes = row_hashes(batch, salt=7).tolist()
    assert hashes[0] == hashes[1] and hashes[4] == hashes[5]
    assert len({hashes[0], hashes[2], hashes[3], hashes[4], hashes[6]}) == 5


def test_the_share_is_exact_across_batches() -> None:
    rows = DuplicateRows()
    tokens = [bytes([i]) * 32 for i in range(10)]
    rows.add(_batch(tokens, [1.0] * 10, ["x"] * 10))
    rows.add(_batch(tokens[:3], [1.0] * 3, ["x"] * 3))  # 3 copies of earlier rows
    rows.add(_batch(tokens[:3], [9.0] * 3, ["x"] * 3))  # different amounts: new rows
    assert rows.rows == 16
    assert rows.share == pytest.approx(3 / 16)


def test_a_bounded_sample_still_estimates_the_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unbiased over the per-run salt: one run's estimate from about 300 sampled rows has
    a standard error near 0.017, so the test averages 20 salts (error near 0.004)."""
    monkeypatch.setattr(duplicates, "KEEP", 500)
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(10):
        ids = rng.integers(0, 1 << 40, 2_000)
        doubled = np.concatenate([ids, ids[:200]])  # 200 of 2,200 rows are copies
        tokens = [hashlib.sha256(int(i).to_bytes(8, "big")).digest() for i in doubled]
        batches.append(_batch(tokens, [1.0] * len(tokens), ["x"] * len(tokens)))
    shares = []
    for salt in range(20):
        rows = DuplicateRows(salt=salt)
        for batch in batches:
            rows.add(batch)
        assert len(rows._hashes) <= 500
        shares.append(rows.share)
    assert float(np.mean(shares)) == pytest.approx(200 / 2_200, abs=0.015)
    assert all(abs(share - 200 / 2_200) < 0.09 for share in shares)
