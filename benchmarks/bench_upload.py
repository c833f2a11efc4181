"""Dataset upload over loopback, against ``curl`` PUT of the same file in the same run.

A tokenized exposures file (random 32-byte tokens, so incompressible) is uploaded to a
real ``cleanroom serve`` process through the agent's :class:`CleanRoomClient` in 16 MiB
verified chunks, footer first. The baseline is ``curl -T`` of the same file to a trivial
uvicorn app (same uvicorn, same defaults) that reads the body and throws it away: the
loopback, the HTTP parser and the event loop with nothing of ours on either side.
Rounds alternate (curl, agent, curl, agent); each rate is the best round.

Reported: end-to-end rate (session, chunks, ``complete``, publish) with its ratio to
curl; the transfer alone (first to last chunk); how long ``complete`` takes after the
last chunk; CPU seconds of the agent (this process, its reader thread included), of the
server process and of curl and the sink; the server's peak RSS for a small and a large
file (it must not grow with the file). The load average is in the section header.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import DATA_DIR, Result, load_average
from party_agent.client import CleanRoomClient, UploadProgress
from protocols import token_field

MB = 1_000_000
MIB = 1024 * 1024
ROWS_PER_GROUP = 1_000_000
SEED = 20261123
ROUNDS = 2


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


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def sink(scope: Scope, receive: Receive, send: Send) -> None:
    """The trivial app curl sends to: read the whole body, answer 200."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Round:
    seconds: float
    own_cpu: float  # the sender: agent (this process) or curl
    server_cpu: float  # the receiver: cleanroom serve or the sink
    transfer_seconds: float = 0.0
    complete_seconds: float = 0.0
    prepared_seconds: float = 0.0  # after complete, until the prepared sibling exists

    finished: float = 0.0  # perf_counter when the agent had its reply

    def rate(self, size: int) -> float:
        return size / self.seconds / MB


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the sink app did not start")


def curl_round(path: Path) -> Round:
    """``curl -T`` of ``path`` to :func:`sink` under uvicorn (started and stopped here)."""
    port = _free_port()
    code = (
        "import uvicorn; uvicorn.run('benchmarks.bench_upload:sink', host='127.0.0.1', "
        f"port={port}, log_level='warning')"
    )
    root = Path(__file__).resolve().parent.parent
    app = subprocess.Popen([sys.executable, "-c", code], cwd=root)
    try:
        _wait_listening(port, app)
        app_cpu, curl_cpu, start = process_cpu(app.pid), children_cpu(), time.perf_counter()
        url = f"http://127.0.0.1:{port}/upload"
        curl = ["curl", "-sS", "-f", "-o", "/dev/null", "-H", "Expect:", "-T", str(path), url]
        subprocess.run(curl, check=True)
        seconds = time.perf_counter() - start
        return Round(seconds, children_cpu() - curl_cpu, process_cpu(app.pid) - app_cpu)
    finally:
        app.terminate()
        app.wait(timeout=30)


def bound_copy(source: Path, target: Path, collaboration_id: str) -> None:
    """``source`` rewritten with the binding the server checks (collaboration and key
    check values of the match key the benchmark registers); same row groups, written
    as ``party-agent tokenize`` writes (tokens PLAIN and uncompressed, the attributes
    zstd, with a dictionary but for the time: :func:`party_agent.pipeline.token_file_options`)."""
    from party_agent.pipeline import token_file_options
    from protocols import Tokenizer
    from protocols.binding import bind_schema
    from tests.integration.datasets import SEED_KEY

    parquet = pq.ParquetFile(source)
    schema = bind_schema(parquet.schema_arrow, Tokenizer(SEED_KEY, collaboration_id))
    dictionary = [n for n in schema.names if not n.startswith("token_") and n != "exposure_time"]
    options: dict[str, Any] = token_file_options(schema.names, dictionary)
    with pq.ParquetWriter(target, schema, **options) as writer:
        for index in range(parquet.num_row_groups):
            writer.write_table(parquet.read_row_group(index).cast(schema))


def rounds(source: Path) -> tuple[Round, Round, float, float]:
    """On a fresh ``cleanroom serve``: curl of the bound file to the sink, then the
    agent's ``upload_file`` of it; the server's peak RSS during the upload, and once it
    has prepared the version for queries in the background."""
    from tests.integration.datasets import SEED_KEY
    from tests.integration.server import ServerProcess
    from tests.integration.world import ROLES, api, bind_match_key, make_collaboration

    size = source.stat().st_size
    with tempfile.TemporaryDirectory(dir=DATA_DIR) as tmp:
        limits = {"CLEANROOM_MAX_UPLOAD_BYTES": str(4 * size), "CLEANROOM_LOG_LEVEL": "warning"}
        server = ServerProcess(Path(tmp) / "data", env=limits).start()
        try:
            assert server.process is not None
            with api(server.url, server.admin_token) as admin:
                collab = make_collaboration(admin, "bench", ROLES)
            brand = collab.members["brand"]
            with api(server.url, brand.token) as client:
                bind_match_key(client, collab.id, brand, SEED_KEY)
            path = Path(tmp) / "bound.parquet"
            bound_copy(source, path, collab.id)
            baseline = curl_round(path)
            measured = agent_round(server.url, server.process.pid, collab.id, brand.token, path)
            rss = peak_rss_mib(server.process.pid)
            version = server.data_dir / "datasets" / collab.id / "exposures" / "v1.parquet"
            measured = wait_prepared(measured, version)
            rss_prepared = peak_rss_mib(server.process.pid)
        finally:
            server.stop()
    return baseline, measured, rss, rss_prepared


def wait_prepared(measured: Round, version: Path) -> Round:
    """``measured`` with the seconds from its reply until the server's background
    preparation wrote the version's prepared sibling (queries read the upload until then)."""
    from cleanroom.storage.dataset_files import prepared_sibling

    sibling, deadline = prepared_sibling(version), time.monotonic() + 900
    while not sibling.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no prepared sibling of {version.name} after 15 minutes: "
                               "see the server's log in the benchmark's data folder")  # fmt: skip
        time.sleep(0.05)
    return replace(measured, prepared_seconds=time.perf_counter() - measured.finished)


def agent_round(url: str, pid: int, collaboration_id: str, token: str, path: Path) -> Round:
    """One ``upload_file`` of ``path``, timed from the session to the published version."""
    marks: dict[str, float] = {}

    def progress(step: UploadProgress) -> None:
        marks.setdefault("first", time.perf_counter())
        if step.sent == step.total:
            marks["sent"] = time.perf_counter()

    server_cpu, own_cpu, start = process_cpu(pid), time.process_time(), time.perf_counter()
    with CleanRoomClient(url, token) as client:
        client.upload_file(collaboration_id, path, "exposures", "exposures", on_progress=progress)
    done = time.perf_counter()
    return Round(
        done - start,
        time.process_time() - own_cpu,
        process_cpu(pid) - server_cpu,
        marks["sent"] - marks["first"],
        done - marks["sent"],
        finished=done,
    )


def _cpu(rounds: list[Round]) -> str:
    best = min(rounds, key=lambda r: r.seconds)
    return f"CPU {best.own_cpu:.2f} s sender + {best.server_cpu:.2f} s receiver"


def run(quick: bool) -> list[Result]:
    small, large = (16 * MIB, 64 * MIB) if quick else (128 * MIB, 1024 * MIB)
    big = token_file(large)
    size = big.stat().st_size
    _, _, rss_small, _ = rounds(token_file(small))
    curls, agents, rss_large, rss_prepared = [], [], 0.0, 0.0
    for _ in range(ROUNDS):
        baseline, measured, rss, prepared = rounds(big)
        curls.append(baseline)
        agents.append(measured)
        rss_large, rss_prepared = max(rss_large, rss), max(rss_prepared, prepared)
    best_curl = min(curls, key=lambda r: r.seconds)
    best = min(agents, key=lambda r: r.seconds)
    label = f"{size / MIB:,.0f} MiB"
    load = f"load average {load_average()} (1/5/15 min) at the end"
    return [
        Result(
            name=f"upload end to end ({label}, 16 MiB chunks)",
            value=best.rate(size),
            unit="MB/s",
            baseline_name="curl PUT to a trivial uvicorn app",
            baseline_value=best_curl.rate(size),
            min_ratio=0.8,
            notes=f"best of {ROUNDS}: {best.seconds:.2f} s, {_cpu(agents)}; curl "
            f"{best_curl.seconds:.2f} s, {_cpu(curls)}; {load}",
        ),
        Result(
            name=f"upload transfer, first to last chunk ({label})",
            value=size / best.transfer_seconds / MB,
            unit="MB/s",
            notes="read + SHA-256 so far (agent, a worker thread) while sending; server: "
            "stream to temp file + running SHA-256, row groups scanned in the background",
        ),
        Result(
            name="upload complete, after the last chunk",
            value=best.complete_seconds,
            unit="s",
            notes=f"check tail, header, last row group, publish; rounds: "
            f"{', '.join(f'{r.complete_seconds:.2f}' for r in agents)} s (lower is better)",
        ),
        Result(
            name="server peak RSS during upload",
            value=rss_large,
            unit="MiB",
            notes=f"{rss_small:,.0f} MiB for the {small // MIB} MiB file: "
            f"{'flat' if rss_large < rss_small + 64 else 'GROWS'} with file size",
        ),
        Result(
            name="prepared for queries, in the background after complete",
            value=best.prepared_seconds,
            unit="s",
            notes=f"rounds: {', '.join(f'{r.prepared_seconds:.1f}' for r in agents)} s; "
            f"server peak RSS then {rss_prepared:,.0f} MiB (DuckDB's 512 MB preparation "
            "limit); queries read the uploaded file meanwhile, with the same results",
        ),
    ]
