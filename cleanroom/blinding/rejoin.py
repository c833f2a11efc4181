"""Put the twice-blinded points back on their rows, streaming: memory stays flat.

A batch's files hold, per relay position ``i``, the row ``order[i]`` it came from and
the blinder's point ``reply[i]``. :func:`rejoin_file` reads them in chunks into a
``(row, point)`` Parquet file, lets DuckDB sort it by row (out of core: a memory limit
and a spill directory in the batch's folder), and walks the version's file one record
batch at a time beside the sorted pairs, replacing each token column's values. Only
the token columns change; every other column is copied as Arrow read it (no type goes
through DuckDB). Peak memory is one record batch of each plus DuckDB's limit, whatever
the file's size (``benchmarks/bench_blind.py`` measures it at two sizes).

The rows the pairs name must be exactly the non-null rows of the column, in order; any
difference (a corrupted or foreign batch file) raises :class:`RejoinMismatch` and the
output is not written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleanroom.blinding.files import ORDER, REPLY
from cleanroom.errors import InternalError
from protocols.tokens import TOKEN_TYPE

POINT = 32
#: Rows per record batch, and points per chunk of the batch files.
CHUNK_ROWS = 65_536
#: DuckDB's memory for the sort of one family's pairs; past it, it spills to disk.
SORT_MEMORY = "64MB"
PAIRS = "pairs.parquet"
READ_BUFFER = 1 << 20


class RejoinMismatch(InternalError):
    """A batch's recorded rows do not match the token column they belong to (a bug or a
    damaged data dir: the server wrote both)."""


@dataclass(frozen=True)
class Replacement:
    """One token column to replace: its name, its new field, the batch folder."""

    column: str
    field: pa.Field
    folder: Path
    count: int


def _write_pairs(spec: Replacement) -> Path:
    """``(row, point)`` of every relay position, from ``order.bin`` and ``reply.bin``."""
    path = spec.folder / PAIRS
    schema = pa.schema([("row", pa.uint64()), ("point", TOKEN_TYPE)])
    with pq.ParquetWriter(path, schema, compression="none") as writer:
        for start in range(0, spec.count, CHUNK_ROWS):
            count = min(CHUNK_ROWS, spec.count - start)
            rows = np.fromfile(spec.folder / ORDER, "<u8", count=count, offset=start * 8)
            points = _read_points(spec.folder / REPLY, start, count)
            writer.write_table(pa.table({"row": rows, "point": points}, schema=schema))
    return path


def _read_points(path: Path, start: int, count: int) -> pa.Array:
    with open(path, "rb") as handle:
        handle.seek(start * POINT)
        data = handle.read(count * POINT)
    if len(data) != count * POINT:
        raise RejoinMismatch("the reply file is shorter than its batch")
    return pa.FixedSizeBinaryArray.from_buffers(TOKEN_TYPE, count, [None, pa.py_buffer(data)])


class _SortedPairs:
    """The pairs of one batch in row order, taken a few at a time."""

    def __init__(self, spec: Replacement) -> None:
        pairs = _write_pairs(spec)
        spill = spec.folder / "spill"
        spill.mkdir(exist_ok=True)
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": SORT_MEMORY,
            "temp_directory": str(spill),
            "threads": "2",
        }
        self._db = duckdb.connect(":memory:", config=config)
        self._db.execute("SET enable_progress_bar = false")
        query = "SELECT row, point FROM read_parquet(?) ORDER BY row"
        self._reader = self._db.sql(query, params=[str(pairs)]).to_arrow_reader(CHUNK_ROWS)
        self._rows, self._points = np.empty(0, np.uint64), pa.array([], TOKEN_TYPE)

    def take(self, count: int) -> tuple[np.ndarray, pa.Array]:
        while len(self._rows) < count:
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                raise RejoinMismatch("the batch holds fewer points than the column") from None
            rows = batch.column(0).to_numpy(zero_copy_only=False).astype(np.uint64)
            self._rows = np.concatenate([self._rows, rows])
            points = pc.cast(batch.column(1), TOKEN_TYPE)
            self._points = pa.concat_arrays([self._points, points])
        rows, self._rows = self._rows[:count], self._rows[count:]
        points, self._points = self._points.slice(0, count), self._points.slice(count)
        return rows, points

    def close(self) -> None:
        self._db.close()


def _replaced(column: pa.Array, start: int, pairs: _SortedPairs) -> pa.Array:
    valid = pc.is_valid(column)
    expected = start + np.flatnonzero(valid.to_numpy(zero_copy_only=False)).astype(np.uint64)
    rows, points = pairs.take(len(expected))
    if not np.array_equal(rows, expected):
        raise RejoinMismatch("the batch's rows are not the column's non-null rows")
    return pc.replace_with_mask(pa.nulls(len(column), TOKEN_TYPE), valid, points)


def _batches(
    source: Path, schema: pa.Schema, specs: Sequence[Replacement], sorted_pairs: list[_SortedPairs]
) -> Iterator[pa.RecordBatch]:
    index = {spec.column: (schema.get_field_index(spec.column), pairs)
             for spec, pairs in zip(specs, sorted_pairs, strict=True)}  # fmt: skip
    start = 0
    # A read buffer streams each column chunk; without it Arrow keeps what it read.
    reader = pq.ParquetFile(source, buffer_size=READ_BUFFER, pre_buffer=False)
    for batch in reader.iter_batches(batch_size=CHUNK_ROWS):
        columns = list(batch.columns)
        for position, pairs in index.values():
            columns[position] = _replaced(columns[position], start, pairs)
        start += batch.num_rows
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def rejoin_file(source: Path, destination: Path, specs: Sequence[Replacement]) -> None:
    """Write ``source`` with each spec's column replaced to ``destination``, durably
    (a temporary file renamed in; nothing is left at ``destination`` on error)."""
    schema = pq.read_schema(source)
    for spec in specs:
        schema = schema.set(schema.get_field_index(spec.column), spec.field)
    temp = destination.with_name(f".{destination.name}.tmp")
    sorted_pairs = [_SortedPairs(spec) for spec in specs]
    try:
        with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
            for batch in _batches(source, schema, specs, sorted_pairs):
                writer.write_batch(batch, row_group_size=CHUNK_ROWS)
        for pairs in sorted_pairs:
            if _has_more(pairs):
                raise RejoinMismatch("the batch holds more points than the column")
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, destination)
    finally:
        for pairs in sorted_pairs:
            pairs.close()
        temp.unlink(missing_ok=True)


def _has_more(pairs: _SortedPairs) -> bool:
    try:
        pairs.take(1)
    except RejoinMismatch:
        return False
    return True
