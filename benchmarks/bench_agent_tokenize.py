"""``party-agent tokenize`` end to end: a purchase CSV (email, phone, 3 attributes) to Parquet.

Each run is the real command in a subprocess (``python -m party_agent tokenize --json``),
timed on the wall clock. Peak memory is reported twice: the agent process itself
(``ru_maxrss`` from ``os.wait4``) and the whole process tree (the agent plus any HMAC
worker processes, summed, sampled from ``/proc`` every 50 ms). CPU seconds are those of
the whole tree (per process, the last value sampled from ``/proc``; the agent's own from
``os.wait4``): unlike wall time they barely change when others share the machine.

Baseline, measured in the same run: copying the same CSV to Parquet with pyarrow alone
(stream read, stream write, no tokenization) -- the I/O floor the agent cannot beat.
Targets (issue 17): >= 1,000,000 rows/s on the 10M-row file and >= 0.6x the copy, peak
RSS under 1 GiB and within 10% between 1M and 10M rows. Input: customers drawn with
repetition from a fixed pool of messy (email, phone) pairs made by
:mod:`benchmarks.datagen` (a purchase export repeats its
customers); the pool size is reported because normalization works once per distinct
value in a batch.

    python -m benchmarks.bench_agent_tokenize [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from benchmarks.common import DATA_DIR, Result
from benchmarks.datagen import SEED, email, phone
from protocols import MatchKey
from protocols.hmac_batch import hashing_path

THROUGHPUT_TARGET = 1_000_000.0
RATIO_TARGET = 0.6
RSS_LIMIT_MIB = 1024.0
RSS_GROWTH_LIMIT = 1.10
MAPPING = """\
kind: purchases
timezone: UTC
identifiers:
  - {column: email, type: email}
  - {column: phone, type: phone, region: US}
attributes:
  - {column: order_total, type: float, as: amount}
  - {column: order_time, type: timestamp, as: purchase_time}
  - {column: store, type: string, as: store_region}
"""
STORES = ["north", "south", "east", "west", "online"]


def _pool(size: int) -> tuple[pa.Array, pa.Array]:
    rng = random.Random(f"{SEED}:agent-pool")
    emails = pa.array([email(rng, i) for i in range(size)], pa.string())
    phones = pa.array([phone(rng, i) for i in range(size)], pa.string())
    return emails, phones


def purchases_csv(rows: int, pool: int) -> Path:
    """A deterministic purchase export of ``rows`` rows drawn from ``pool`` customers."""
    path = DATA_DIR / f"agent_purchases_{rows}_of_{pool}.csv"
    if path.exists():
        return path
    emails, phones = _pool(pool)
    rng = np.random.default_rng(SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    chunk = 500_000
    with pacsv.CSVWriter(partial, _schema()) as writer:
        for start in range(0, rows, chunk):
            writer.write_table(_chunk(rng, min(chunk, rows - start), emails, phones))
    partial.rename(path)
    return path


def _schema() -> pa.Schema:
    names = ["order_id", "email", "phone", "order_total", "order_time", "store"]
    return pa.schema([(name, pa.string()) for name in names])


def _chunk(rng: np.random.Generator, n: int, emails: pa.Array, phones: pa.Array) -> pa.Table:
    customers = pa.array(rng.integers(0, len(emails), n))
    cents = rng.integers(100, 50_000, n)
    seconds = rng.integers(1_704_067_200, 1_735_689_600, n).astype("datetime64[s]")
    return pa.table(
        {
            "order_id": pa.array(rng.integers(0, 1 << 62, n)).cast(pa.string()),
            "email": emails.take(customers),
            "phone": phones.take(customers),
            "order_total": pa.array(cents / 100).cast(pa.string()),
            "order_time": pa.array(np.datetime_as_string(seconds), pa.string()),
            "store": pa.array(np.array(STORES)[rng.integers(0, len(STORES), n)]),
        },
        schema=_schema(),
    )


@dataclass(frozen=True)
class AgentRun:
    rows: int
    seconds: float
    summary: dict[str, object]
    agent_rss_mib: float
    tree_rss_mib: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def _tree_rss_kib(root: int, cpu: dict[int, float] | None = None) -> int:
    """Summed VmRSS of ``root`` and its descendants (0 once it has exited).

    With ``cpu``, also records each descendant's CPU seconds so far (utime + stime).
    """
    total, pending = 0, [root]
    ticks = os.sysconf("SC_CLK_TCK")
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += next(int(s.split()[1]) for s in status.splitlines() if s.startswith("VmRSS"))
            if cpu is not None and pid != root:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError, IndexError):
            continue
    return total


def run_agent(source: Path, workdir: Path, batch_size: int | None = None) -> AgentRun:
    """One ``party-agent tokenize`` subprocess on ``source``; wall time and peak RSS."""
    home, out = workdir / "home", workdir / "out.parquet"
    if not home.exists():
        subprocess.run([sys.executable, "-m", "party_agent", "init", "--home", str(home),
                        "--party", "bench"], check=True, capture_output=True)  # fmt: skip
    (workdir / "match.key").write_text(MatchKey(bytes(range(32))).to_hex())
    (workdir / "mapping.yaml").write_text(MAPPING)
    command = [sys.executable, "-m", "party_agent", "tokenize", "--home", str(home),
               "--mapping", str(workdir / "mapping.yaml"), "--in", str(source),
               "--out", str(out), "--match-key-file", str(workdir / "match.key"),
               "--collaboration", "bench", "--json"]  # fmt: skip
    if batch_size is not None:
        command += ["--batch-size", str(batch_size)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, cpu = [0], dict[int, float]()
    sampler = threading.Thread(target=_sample, args=(process, peak, cpu), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # also stops the sampler
    sampler.join()
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"party-agent failed: {stderr.decode()[-500:]}")
    summary = json.loads(stdout)
    rows = int(summary["rows_read"])
    cpu_total = usage.ru_utime + usage.ru_stime + sum(cpu.values())
    return AgentRun(rows, seconds, summary, usage.ru_maxrss / 1024, peak[0] / 1024, cpu_total)


def _sample(process: subprocess.Popen[bytes], peak: list[int], cpu: dict[int, float]) -> None:
    while process.returncode is None:
        peak[0] = max(peak[0], _tree_rss_kib(process.pid, cpu))
        time.sleep(0.05)


@dataclass(frozen=True)
class CopyRun:
    rate: float
    cpu_seconds: float


def copy_baseline(source: Path, workdir: Path) -> CopyRun:
    """Rows/s of a pyarrow-only streaming CSV -> Parquet copy of the same columns."""
    cpu_start = time.process_time()
    started, rows = time.perf_counter(), 0
    reader = pacsv.open_csv(source, convert_options=pacsv.ConvertOptions(column_types=_schema()))
    with pq.ParquetWriter(workdir / "copy.parquet", reader.schema, compression="zstd") as writer:
        for batch in reader:
            rows += batch.num_rows
            writer.write_batch(batch)
    return CopyRun(rows / (time.perf_counter() - started), time.process_time() - cpu_start)


def run(quick: bool) -> list[Result]:
    # Quick mode shrinks the batches too, so that both sizes span several batches.
    sizes, pool, batch = (250_000, 1_000_000), 100_000, 50_000
    if not quick:
        sizes, pool, batch = (1_000_000, 10_000_000), 1_000_000, None
    results: list[Result] = []
    runs: list[AgentRun] = []
    with tempfile.TemporaryDirectory(dir=DATA_DIR.parent) as scratch:
        workdir = Path(scratch)
        for rows in sizes:
            source = purchases_csv(rows, pool)
            baseline = copy_baseline(source, workdir)
            agent = run_agent(source, workdir, batch)
            runs.append(agent)
            results.append(_throughput(agent, baseline, pool))
    results.append(_memory(runs))
    return results


def _throughput(agent: AgentRun, baseline: CopyRun, pool: int) -> Result:
    summary = agent.summary
    return Result(
        name=f"party-agent tokenize, {agent.rows:,}-row CSV (email, phone, 3 attributes)",
        value=agent.rate,
        unit="rows/s",
        baseline_name="pyarrow CSV->Parquet copy",
        baseline_value=baseline.rate,
        min_value=THROUGHPUT_TARGET,
        min_ratio=RATIO_TARGET,
        notes=(
            f"{hashing_path()}; {agent.seconds:.1f} s wall, {agent.cpu_seconds:.1f} CPU-s "
            f"({agent.cpu_seconds / agent.rows * 1e6:.2f} CPU-us/row; copy "
            f"{baseline.cpu_seconds:.1f} CPU-s); {summary['rows_written']:,} rows written; "
            f"customers drawn from a pool of {pool:,}; peak RSS agent "
            f"{agent.agent_rss_mib:,.0f} MiB, with HMAC workers {agent.tree_rss_mib:,.0f} MiB"
        ),
    )


def _memory(runs: list[AgentRun]) -> Result:
    small, large = runs[0], runs[-1]
    growth = large.tree_rss_mib / small.tree_rss_mib if small.tree_rss_mib else 0.0
    flat = abs(growth - 1) <= RSS_GROWTH_LIMIT - 1
    verdict = "PASS" if large.tree_rss_mib < RSS_LIMIT_MIB and flat else "MISS"
    return Result(
        name=f"party-agent tokenize peak RSS (process tree), {large.rows:,} rows",
        value=large.tree_rss_mib,
        unit="MiB",
        notes=(
            f"{small.rows:,} rows: {small.tree_rss_mib:,.0f} MiB; {large.rows:,} rows: "
            f"{large.tree_rss_mib:,.0f} MiB (x{growth:.2f}); target < {RSS_LIMIT_MIB:,.0f} "
            f"MiB and within {RSS_GROWTH_LIMIT - 1:.0%}: {verdict} (lower is better)"
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_agent_tokenize")
    parser.add_argument("--quick", action="store_true", help="250k and 1M rows instead")
    for result in run(parser.parse_args().quick):
        print(f"{result.name}: {result.value:,.0f} {result.unit}  {result.notes}")


if __name__ == "__main__":
    main()
