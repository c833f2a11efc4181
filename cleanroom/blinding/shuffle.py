"""A uniformly random order of a point column, in bounded memory (relay.bin, order.bin).

The column is read a record batch at a time. Pass 1 gives each non-null row a bucket
drawn uniformly at random and appends ``(row, point)`` to that bucket's file; pass 2
reads one bucket at a time, permutes it uniformly and appends it to the outputs. The
result is a uniform permutation of the non-null rows (the Rao-Sandelius shuffle: the
steps treat every row alike, so every order is equally likely), and memory holds one
record batch or one bucket, about :data:`BUCKET_ROWS` rows of 40 bytes (more past
:data:`MAX_BUCKETS` buckets: 1e9 rows make buckets of 4 million, 160 MB). The
randomness is a PCG64 generator seeded with 128 bits of the OS CSPRNG. The bucket
files sit in the batch's folder and are removed when done; the disk needs about 40
bytes a point beside the outputs for the time of the shuffle.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

POINT = 32
#: Rows per bucket, on average: a bucket in memory is about 40 MB ...
BUCKET_ROWS = 1_000_000
#: ... up to this many buckets (open files); past 256 million rows, buckets grow.
MAX_BUCKETS = 256
#: Rows per record batch read from the file in pass 1.
READ_ROWS = 262_144
RECORD = np.dtype([("row", "<u8"), ("point", f"V{POINT}")])


def shuffle_to_files(source: Path, column: str, relay: Path, order: Path) -> int:
    """Writes the non-null points of ``column`` of the Parquet file ``source`` to
    ``relay`` in a random order, and the row of each position (``<u8``) to ``order``;
    returns the number of points. Both files appear whole (renamed in) or not at all."""
    # A read buffer streams each column chunk; without it Arrow keeps what it read.
    parquet = pq.ParquetFile(source, buffer_size=1 << 20, pre_buffer=False)
    buckets = min(MAX_BUCKETS, max(1, -(-parquet.metadata.num_rows // BUCKET_ROWS)))
    rng = np.random.default_rng(secrets.randbits(128))
    work = relay.parent / f".shuffle-{secrets.token_hex(4)}"
    work.mkdir(parents=True)
    try:
        _scatter(parquet, column, rng, [work / f"{b}.bin" for b in range(buckets)])
        count = _gather(rng, [work / f"{b}.bin" for b in range(buckets)], work, relay, order)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return count


def _points_of(batch: pa.Array) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.void]]:
    """(local index, point) of each non-null value of a ``binary(32)`` array."""
    if batch.null_count == len(batch):
        return np.empty(0, np.uint64), np.empty(0, f"V{POINT}")
    whole = np.frombuffer(batch.buffers()[1], f"V{POINT}", count=batch.offset + len(batch))
    data = whole[batch.offset :]
    if batch.null_count == 0:
        return np.arange(len(batch), dtype=np.uint64), data
    valid = np.flatnonzero(batch.is_valid().to_numpy(zero_copy_only=False)).astype(np.uint64)
    return valid, data[valid]


def _scatter(
    parquet: pq.ParquetFile, column: str, rng: np.random.Generator, paths: list[Path]
) -> None:
    handles = [open(path, "wb") for path in paths]  # noqa: SIM115  # closed below
    try:
        start = 0
        for batch in parquet.iter_batches(batch_size=READ_ROWS, columns=[column]):
            array = batch.column(0)
            local, points = _points_of(array)
            records = np.empty(len(local), RECORD)
            records["row"], records["point"] = local + np.uint64(start), points
            labels = rng.integers(0, len(paths), size=len(records))
            by_bucket = np.argsort(labels, kind="stable")
            edges = np.searchsorted(labels[by_bucket], np.arange(len(paths) + 1))
            for bucket, handle in enumerate(handles):
                handle.write(records[by_bucket[edges[bucket] : edges[bucket + 1]]].tobytes())
            start += len(array)
    finally:
        for handle in handles:
            handle.close()


def _gather(
    rng: np.random.Generator, paths: list[Path], work: Path, relay: Path, order: Path
) -> int:
    relay_temp, order_temp = work / "relay.tmp", work / "order.tmp"
    count = 0
    with open(relay_temp, "wb") as points_out, open(order_temp, "wb") as rows_out:
        for path in paths:
            records = np.fromfile(path, dtype=RECORD)
            path.unlink()
            records = records[rng.permutation(len(records))]
            points_out.write(records["point"].tobytes())
            rows_out.write(records["row"].tobytes())
            count += len(records)
        for handle in (points_out, rows_out):
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(relay_temp, relay)
    os.replace(order_temp, order)
    return count
