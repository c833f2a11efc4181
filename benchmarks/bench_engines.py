"""``conversions`` on DuckDB and on Spark (local) at two sizes: wall time, CPU seconds
and peak memory, with DuckDB as the named baseline (issue 18).

The world is the one of :mod:`benchmarks.bench_conversions` (20 campaigns, 30% of each
side's users on the other side, 7-day window, last touch, the ``standard`` preset's
bounds), at ``SIZES`` rows per side. Each engine runs in a fresh child process; its CPU
seconds are the child's and every descendant's (the Spark JVM is waited for), its
peak memory the child's peak RSS plus its largest descendant's (the JVM). DuckDB runs
under ``memory_limit`` 1 GB with ``temp_directory`` set, so the larger size spills to
disk rather than failing. Spark runs ``local[2]`` with 6 GB of driver memory and the
engine's own planning settings (adaptive execution, 2 shuffle partitions per core); its
session start-up is timed apart from the query, and counted in its wall time. The two
engines' true aggregates are compared: ``identical`` says whether every cell matched.

Sizes: ``CLEANROOM_BENCH_ENGINE_SIZES`` (comma-separated row counts; default 10M and
100M, the issue's sizes: about 7.7 GB of Parquet at 100M, DuckDB spilling about 18 GB,
and Spark local about 1,900 CPU-seconds, so about 40 minutes on 2 quiet cores; see the
README). ``CLEANROOM_BENCH_ENGINE_TIMEOUT`` cuts one engine run off (default 5,400 s).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_conversions import CAMPAIGNS, WINDOW, generate
from benchmarks.common import DATA_DIR, Result

SIZES = tuple(
    int(s) for s in os.environ.get("CLEANROOM_BENCH_ENGINE_SIZES", "10000000,100000000").split(",")
)
TIMEOUT = int(os.environ.get("CLEANROOM_BENCH_ENGINE_TIMEOUT", "5400"))
"""Seconds one engine run may take; a run cut off is reported as such, not as a number."""
DUCK_MEMORY = "1GB"
SPARK_CONF = (
    ("spark.driver.memory", "6g"),
    ("spark.ui.showConsoleProgress", "false"),
    ("spark.local.dir", str(DATA_DIR / "spark_tmp")),
)


def _query(exp: Path, pur: Path, engine: str) -> dict[str, object]:
    from cleanroom.engine import (
        Attribution,
        ContributionBounds,
        EngineSettings,
        GroupKeys,
        Sources,
        SparkSettings,
        conversion_cells,
        open_engine,
    )

    keys = GroupKeys(tuple(f"c{i:02d}" for i in range(CAMPAIGNS)))
    bounds = ContributionBounds(20, 50, 50_000)  # the `standard` preset
    config: EngineSettings | SparkSettings
    started = time.perf_counter()
    if engine == "spark":
        from cleanroom.engine.spark import root_session

        config = SparkSettings("local[2]", SPARK_CONF)  # the engine's own plan settings
        root_session(config)
    else:
        config = EngineSettings(DUCK_MEMORY, DATA_DIR / "duckdb_tmp" / exp.stem, threads=2)
    start_seconds = time.perf_counter() - started
    with open_engine(Sources((exp,), (pur,)), config) as opened:
        cells = conversion_cells(opened, "email", WINDOW, Attribution.LAST_TOUCH, bounds, keys)
    seconds = time.perf_counter() - started
    table = [(c.campaign, c.exposed, c.converted, c.revenue_cents) for c in cells.cells]
    if engine == "spark":
        _stop_spark()
    return {
        "seconds": seconds,
        "start_seconds": start_seconds,
        "cells": hashlib.sha256(json.dumps(table).encode()).hexdigest(),
        "converted": sum(c[2] for c in table),
    }


def _stop_spark() -> None:
    """Stop Spark and wait for its JVM, so the JVM's CPU time is counted as ours."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    context = SparkContext._active_spark_context
    if context is not None:
        context.stop()
    if gateway is not None:
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            proc.stdin.close()
            proc.wait(timeout=120)


def _own_peak_kib() -> int:
    """This process's peak RSS since its exec (``VmHWM``). Not ``ru_maxrss``: Linux
    carries the parent's peak over into a child started by vfork, so a parent that had
    just generated 100M rows (about 9 GB) would be counted as the child's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(exp: Path, pur: Path, engine: str) -> dict[str, object]:
    measured = _query(exp, pur, engine)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    measured["peak_mib"] = (_own_peak_kib() + kids.ru_maxrss) / 1024
    return measured


def measure(exp: Path, pur: Path, engine: str) -> dict[str, float] | None:
    """One fresh child; CPU seconds of it and its descendants from the parent's view;
    ``None`` when it ran past ``TIMEOUT``. Each measurement is printed as it lands."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "benchmarks.bench_engines", str(exp), str(pur), engine]
    try:
        out = subprocess.run(
            cmd, check=True, capture_output=True, text=True, timeout=TIMEOUT
        ).stdout
    except subprocess.TimeoutExpired:
        print(f"  {engine} on {exp.name}: did not finish in {TIMEOUT} s", flush=True)
        return None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    measured: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    measured["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    print(f"  {engine} on {exp.name}: {json.dumps(measured)}", flush=True)
    return measured


def _describe(m: dict[str, float]) -> str:
    return f"{m['seconds']:.1f} s wall, {m['cpu_seconds']:.1f} CPU-s, peak {m['peak_mib']:,.0f} MiB"


def run(quick: bool) -> list[Result]:
    sizes = (200_000,) if quick else SIZES
    results, runs = [], {}
    for rows in sizes:
        exp, pur = generate(rows)
        duck, spark = measure(exp, pur, "duckdb"), measure(exp, pur, "spark")
        if duck is None or spark is None:
            done = duck or spark
            results.append(
                Result(
                    name=f"conversions {rows:,} x same, Spark local vs DuckDB",
                    value=0,
                    unit="(not measured)",
                    notes=f"{'Spark' if spark is None else 'DuckDB'} did not finish within "
                    f"{TIMEOUT} s on this shared 2-core machine"
                    + (f"; the other engine: {_describe(done)}" if done else ""),
                )
            )
            continue
        runs[rows] = (duck, spark)
        same = "identical" if duck["cells"] == spark["cells"] else "DIFFERENT"
        notes = (
            f"{rows:,} x {rows:,}; DuckDB (memory_limit {DUCK_MEMORY}, spills): "
            f"{_describe(duck)}; Spark local[2]: {_describe(spark)} (of which session "
            f"start {spark['start_seconds']:.1f} s); aggregates {same}; ratios to DuckDB: "
            f"wall {spark['seconds'] / duck['seconds']:.2f}x, "
            f"CPU {spark['cpu_seconds'] / duck['cpu_seconds']:.2f}x, "
            f"memory {spark['peak_mib'] / duck['peak_mib']:.2f}x"
        )
        results.append(
            Result(
                name=f"conversions {rows // 1_000_000 or rows}{'M' if rows >= 1e6 else ''}"
                " x same, Spark local vs DuckDB (queries/hour)",
                value=3600 / spark["seconds"],
                unit="queries/h",
                baseline_name="DuckDB",
                baseline_value=3600 / duck["seconds"],
                notes=notes,
            )
        )
    if len(runs) > 1:
        small, large = min(runs), max(runs)
        factor = large / small
        scale = "; ".join(
            f"{name}: wall x{runs[large][i]['seconds'] / runs[small][i]['seconds']:.1f}, "
            f"CPU x{runs[large][i]['cpu_seconds'] / runs[small][i]['cpu_seconds']:.1f}"
            for i, name in enumerate(("DuckDB", "Spark"))
        )
        results.append(
            Result(
                name=f"scaling {small:,} -> {large:,} rows per side (x{factor:g} data)",
                value=runs[large][0]["seconds"] / runs[small][0]["seconds"],
                unit="x DuckDB wall",
                notes=scale,
            )
        )
    return results


if __name__ == "__main__":
    print(json.dumps(_child(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])))
