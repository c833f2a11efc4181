"""Counting exact duplicate output rows in bounded memory (for the summary's warning).

Two output rows are duplicates when every column is equal: same tokens, same
attributes. A purchase export where that happens on a large share of rows was usually
concatenated twice (revenue would double), so the summary warns above the mapping's
``duplicate_share``.

Each row becomes a 64-bit hash of its columns, computed with numpy over the Arrow
buffers (fixed-width columns) or once per distinct value (strings and decimals): no
Python work per row. Hashes are kept only below a threshold that halves whenever more
than :data:`KEEP` distinct hashes are held, so memory stays bounded; duplicates share
their hash, so a kept sample holds every copy of its rows and the share it shows is an
unbiased estimate (exact while the file has fewer than :data:`KEEP` distinct rows).
Hashes are salted per run, live in memory only and are never written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

U64 = npt.NDArray[np.uint64]
#: Distinct row hashes held at most (8 bytes each, plus their counts): the share is
#: exact below that many distinct rows, and its standard error beyond is under 0.4 points.
KEEP = 1 << 16
_MULTIPLIER = np.uint64(0x100000001B3)
_NULL = np.uint64(0x9E3779B97F4A7C15)
_FULL = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass
class DuplicateRows:
    """Rows seen and (an estimate of) exact duplicates among them."""

    salt: int = field(default_factory=lambda: secrets.randbits(63))
    threshold: np.uint64 = _FULL
    rows: int = 0
    _hashes: U64 = field(default_factory=lambda: np.zeros(0, np.uint64))
    _counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    _pending: list[U64] = field(default_factory=list)
    _pending_rows: int = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        if not batch.num_rows:
            return
        hashes = row_hashes(batch, self.salt)
        kept = hashes[hashes <= self.threshold]
        self._pending.append(kept)
        self._pending_rows += len(kept)
        if self._pending_rows > KEEP:
            self._merge()

    @property
    def share(self) -> float:
        """Estimated share of rows that are a copy of an earlier row."""
        self._merge()
        sampled = int(self._counts.sum())
        return (sampled - len(self._hashes)) / sampled if sampled else 0.0

    def _merge(self) -> None:
        if not self._pending:
            return
        values = np.concatenate([self._hashes, *self._pending])
        weights = np.concatenate([self._counts, np.ones(self._pending_rows, np.int64)])
        self._pending, self._pending_rows = [], 0
        self._hashes, inverse = np.unique(values, return_inverse=True)
        self._counts = np.bincount(inverse, weights=weights).astype(np.int64)
        while len(self._hashes) > KEEP:
            self.threshold = np.uint64(int(self.threshold) // 2)
            keep = self._hashes <= self.threshold
            self._hashes, self._counts = self._hashes[keep], self._counts[keep]


def row_hashes(batch: pa.RecordBatch, salt: int) -> U64:
    """One mixed 64-bit hash per row of ``batch`` over all its columns."""
    combined = np.full(batch.num_rows, np.uint64(salt), np.uint64)
    for column in batch.columns:
        combined = (combined ^ column_hashes(column, salt)) * _MULTIPLIER
    return _mix(combined)


def column_hashes(array: pa.Array, salt: int) -> U64:
    """A 64-bit value per row that equal cells share (nulls one fixed value)."""
    kind = array.type
    if pa.types.is_fixed_size_binary(kind):
        values = _fixed_width_words(array)
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        filled = pc.fill_null(pc.cast(array, pa.float64()) if kind != pa.int64() else array, 0)
        values = filled.to_numpy(zero_copy_only=False).view(np.uint64)
    else:
        encoded = pc.dictionary_encode(array.cast(pa.string()))
        distinct = encoded.dictionary.to_pylist()
        per_value = np.array([hash((salt, v)) for v in distinct], np.int64).view(np.uint64)
        indices = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)
        values = per_value[indices] if len(per_value) else np.zeros(len(array), np.uint64)
    if array.null_count:
        valid = pc.is_valid(array).to_numpy(zero_copy_only=False)
        values = np.where(valid, values, _NULL)
    return values


def _fixed_width_words(array: pa.Array) -> U64:
    """The first 8 bytes of each value of a fixed-size binary column (tokens: HMAC
    outputs, uniform already); a narrower column is zero-padded."""
    width = array.type.byte_width
    data = array.buffers()[1]
    raw = np.frombuffer(data, np.uint8)[array.offset * width : (array.offset + len(array)) * width]
    words = np.zeros((len(array), 8), np.uint8)
    words[:, : min(width, 8)] = raw.reshape(len(array), width)[:, :8]
    return words.view(np.uint64).ravel()


def _mix(values: U64) -> U64:
    """splitmix64's finalizer: every input bit reaches every output bit."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))
