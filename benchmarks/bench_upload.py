"""Dataset upload over loopback: throughput and the server's peak RSS (issue 4).

A tokenized exposures file (random 32-byte tokens, so incompressible) is uploaded to a
real ``cleanroom serve`` process through the agent's :class:`CleanRoomClient` in 16 MiB
verified chunks. Reported: transfer rate (chunks only), end-to-end rate (client hash +
transfer + validation + publish), and the server's peak RSS (``VmHWM``) for a small and
a large file: RSS must not grow with the file size. Baseline: a plain local file copy
of the same file on the same disk. Target: transfer >= 150 MB/s.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import DATA_DIR, Result
from party_agent.client import CleanRoomClient, UploadProgress
from protocols import token_field

MB = 1_000_000
MIB = 1024 * 1024
ROWS_PER_GROUP = 1_000_000
SEED = 20261123


def token_file(target_bytes: int) -> Path:
    """A deterministic exposures file of about ``target_bytes`` (cached in benchmarks/data)."""
    path = DATA_DIR / f"upload-exposures-{target_bytes // MIB}mib.parquet"
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    schema = pa.schema(
        [token_field("email"), pa.field("campaign_id", pa.string()), ("exposure_time", pa.int64())]
    )
    partial = path.with_suffix(".tmp")
    with pq.ParquetWriter(partial, schema) as writer:
        while partial.stat().st_size < target_bytes:
            tokens = rng.bytes(32 * ROWS_PER_GROUP)
            column = pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(32), ROWS_PER_GROUP, [None, pa.py_buffer(tokens)]
            )
            campaigns = pa.array([f"cmp-{i % 40}" for i in range(ROWS_PER_GROUP)])
            times = pa.array(rng.integers(1_700_000_000, 1_710_000_000, ROWS_PER_GROUP))
            writer.write_table(pa.Table.from_arrays([column, campaigns, times], schema=schema))
    partial.rename(path)
    return path


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(path: Path) -> tuple[float, float, float]:
    """(transfer MB/s, end-to-end MB/s, server peak RSS MiB) of one upload."""
    from tests.integration.server import ServerProcess
    from tests.integration.world import ROLES, api, make_collaboration

    size = path.stat().st_size
    with tempfile.TemporaryDirectory() as tmp:
        limits = {"CLEANROOM_MAX_UPLOAD_BYTES": str(4 * size), "CLEANROOM_LOG_LEVEL": "warning"}
        server = ServerProcess(Path(tmp) / "data", env=limits).start()
        try:
            with api(server.url, server.admin_token) as admin:
                collab = make_collaboration(admin, "bench", ROLES)
            marks: dict[str, float] = {}

            def progress(step: UploadProgress) -> None:
                marks.setdefault("first", time.perf_counter())
                if step.sent == step.total:
                    marks["sent"] = time.perf_counter()

            start = time.perf_counter()
            with CleanRoomClient(server.url, collab.members["brand"].token) as client:
                client.upload_file(collab.id, path, "exposures", "exposures", on_progress=progress)
            done = time.perf_counter()
            assert server.process is not None
            rss = peak_rss_mib(server.process.pid)
        finally:
            server.stop()
    transfer = size / (marks["sent"] - marks["first"]) / MB
    return transfer, size / (done - start) / MB, rss


def copy_rate(path: Path) -> float:
    with tempfile.TemporaryDirectory(dir=DATA_DIR) as tmp:
        start = time.perf_counter()
        shutil.copyfile(path, Path(tmp) / "copy")
        return path.stat().st_size / (time.perf_counter() - start) / MB


def run(quick: bool) -> list[Result]:
    small, large = (16 * MIB, 64 * MIB) if quick else (128 * MIB, 1024 * MIB)
    big = token_file(large)
    _, _, rss_small = measure(token_file(small))
    transfer, end_to_end, rss_large = measure(big)
    baseline = copy_rate(big)
    label = f"{big.stat().st_size / MIB:,.0f} MiB"
    return [
        Result(
            name=f"upload transfer over loopback ({label}, 16 MiB chunks)",
            value=transfer,
            unit="MB/s",
            baseline_name="local file copy",
            baseline_value=baseline,
            min_value=150,
            notes="chunks only: stream to temp file + per-chunk SHA-256",
        ),
        Result(
            name=f"upload end to end ({label})",
            value=end_to_end,
            unit="MB/s",
            notes="client file hash + transfer + whole-file hash + validation + publish",
        ),
        Result(
            name="server peak RSS during upload",
            value=rss_large,
            unit="MiB",
            notes=f"{rss_small:,.0f} MiB for the {small // MIB} MiB file: "
            f"{'flat' if rss_large < rss_small + 64 else 'GROWS'} with file size",
        ),
    ]
