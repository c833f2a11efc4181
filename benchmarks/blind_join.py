"""Peak memory of the server's v2 join (``cleanroom.blinding.rejoin``) at a given size.

    python -m benchmarks.blind_join ROWS [--in-memory]

Writes, in a temporary folder, a version file of ``ROWS`` rows (a once-blinded token
column, one null in ten, and three attribute columns), the batch's ``order.bin`` (a
random permutation) and ``reply.bin`` (random 32-byte values: the join does not check
points), in chunks; then, in a fresh process, joins them and prints one JSON line:
the peak RSS of that process before and after the join, in MiB, and the seconds.
``--in-memory`` times the join as it was before it streamed (whole file, whole reply,
``argsort``), the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from protocols import DOUBLY_BLINDED_VERSION, ONCE_BLINDED_VERSION, versioned_field
from protocols.tokens import TOKEN_TYPE

CHUNK = 262_144


def make_files(folder: Path, rows: int) -> int:
    """The version file and a complete batch of it; returns the batch's point count."""
    rng = np.random.default_rng(7)
    schema = pa.schema(
        [versioned_field("email", ONCE_BLINDED_VERSION), ("event_time", pa.timestamp("us")),
         ("campaign", pa.string()), ("value", pa.float64())]
    )  # fmt: skip
    non_null = []
    with pq.ParquetWriter(folder / "v1.parquet", schema, compression="zstd") as writer:
        for start in range(0, rows, CHUNK):
            count = min(CHUNK, rows - start)
            valid = (np.arange(start, start + count) % 10) != 3
            points = pa.FixedSizeBinaryArray.from_buffers(
                TOKEN_TYPE, count, [None, pa.py_buffer(os.urandom(32 * count))]
            )
            tokens = pc.if_else(pa.array(valid), points, pa.nulls(count, TOKEN_TYPE))
            times = pa.array(rng.integers(0, 2**40, count), pa.timestamp("us"))
            campaign = pa.array([f"c{i % 50}" for i in range(count)])
            writer.write_batch(
                pa.record_batch([tokens, times, campaign, rng.random(count)], schema=schema)
            )
            non_null.append(np.flatnonzero(valid) + start)
    order = np.concatenate(non_null).astype("<u8")[rng.permutation(sum(map(len, non_null)))]
    order.tofile(folder / "order.bin")
    with open(folder / "reply.bin", "wb") as handle:
        for start in range(0, len(order), CHUNK):
            handle.write(os.urandom(32 * min(CHUNK, len(order) - start)))
    return len(order)


def _peak_mib() -> float:
    """VmHWM: the peak RSS of this process image (``ru_maxrss`` survives ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _join(folder: Path, count: int, in_memory: bool) -> None:
    field = versioned_field("email", DOUBLY_BLINDED_VERSION)
    if in_memory:
        table = pq.read_table(folder / "v1.parquet")
        order = np.fromfile(folder / "order.bin", "<u8")
        points = np.frombuffer((folder / "reply.bin").read_bytes(), "S32")[np.argsort(order)]
        compact = pa.FixedSizeBinaryArray.from_buffers(
            TOKEN_TYPE, count, [None, pa.py_buffer(points.tobytes())]
        )
        mask = np.zeros(table.num_rows, bool)
        mask[order.astype(np.int64)] = True
        column = pc.replace_with_mask(pa.nulls(table.num_rows, TOKEN_TYPE), pa.array(mask), compact)
        pq.write_table(
            table.set_column(0, field, column), folder / "out.parquet", compression="zstd"
        )
        return
    from cleanroom.blinding.rejoin import Replacement, rejoin_file

    spec = Replacement("token_email", field, folder, count)
    rejoin_file(folder / "v1.parquet", folder / "out.parquet", [spec])


def measure(rows: int, in_memory: bool = False) -> dict[str, float]:
    """Make the files here, join them in a fresh process; its peak RSS and seconds."""
    with tempfile.TemporaryDirectory(prefix="blind-join-") as folder:
        count = make_files(Path(folder), rows)
        command = [sys.executable, "-m", "benchmarks.blind_join", "--join", folder, str(count)]
        if in_memory:
            command.append("--in-memory")
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        result["file_mib"] = (Path(folder) / "v1.parquet").stat().st_size / 2**20
        return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--join", nargs=2, metavar=("FOLDER", "COUNT"))
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--in-memory", action="store_true")
    arguments = parser.parse_args()
    if arguments.join:
        import duckdb  # noqa: F401  # imported before the "before" figure, as the server has it

        before, started = _peak_mib(), time.perf_counter()
        _join(Path(arguments.join[0]), int(arguments.join[1]), arguments.in_memory)
        seconds = time.perf_counter() - started
        print(json.dumps({"before_mib": before, "peak_mib": _peak_mib(), "seconds": seconds}))
    else:
        print(measure(arguments.rows, arguments.in_memory))
