"""The small typed API shared by every ``benchmarks/bench_*.py`` module.

A benchmark module exposes ``run(quick: bool) -> list[Result]``. Each :class:`Result` is
one row of the report: a measured rate, the baseline measured in the same run, and the
target it is judged against. Generated inputs live under ``benchmarks/data/``
(gitignored) and are created deterministically from a seed.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Result:
    """One measured number, with its baseline and target.

    ``value`` and ``baseline_value`` share ``unit`` (higher is better). A result passes
    when it meets ``min_value`` and ``min_ratio`` (value / baseline) where those are set;
    a result with neither is informational (``passed`` is None).
    """

    name: str
    value: float
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None
    min_value: float | None = None
    min_ratio: float | None = None
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def target(self) -> str:
        parts = []
        if self.min_value is not None:
            parts.append(f">= {self.min_value:,.0f}")
        if self.min_ratio is not None:
            parts.append(f">= {self.min_ratio:g}x baseline")
        return " and ".join(parts)

    @property
    def passed(self) -> bool | None:
        if self.min_value is None and self.min_ratio is None:
            return None
        if self.min_value is not None and self.value < self.min_value:
            return False
        ratio = self.ratio
        return self.min_ratio is None or (ratio is not None and ratio >= self.min_ratio)


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each repetition; ``best`` is what rates are computed from.

    ``cpu`` holds the CPU seconds of each repetition, this process plus its live
    multiprocessing children (worker pools): unlike wall-clock time, it barely changes
    when other work shares the machine.
    """

    seconds: tuple[float, ...]
    cpu: tuple[float, ...] = ()

    @property
    def best(self) -> float:
        return min(self.seconds)

    def rate(self, items: int) -> float:
        return items / self.best

    def describe(self) -> str:
        shown = ", ".join(f"{s:.3f}" for s in self.seconds)
        text = f"best of {len(self.seconds)} runs ({shown} s)"
        if self.cpu:
            text += f"; CPU {min(self.cpu):.3f} s"
        return text


def cpu_seconds() -> float:
    """CPU time of this process and of its live multiprocessing children, in seconds."""
    total = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK")
    for child in multiprocessing.active_children():
        try:
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def best_of(
    function: Callable[[], object], repeat: int = 3, budget_seconds: float = 30.0
) -> Timing:
    """Time ``function`` up to ``repeat`` times (fewer once ``budget_seconds`` is spent).

    Garbage collection is run before and disabled during each repetition so that a
    collection triggered by an earlier step does not land in a later measurement.
    """
    seconds: list[float] = []
    cpu: list[float] = []
    spent = 0.0
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            cpu_start, start = cpu_seconds(), time.perf_counter()
            function()
            elapsed = time.perf_counter() - start
            cpu.append(cpu_seconds() - cpu_start)
        finally:
            gc.enable()
        seconds.append(elapsed)
        spent += elapsed
        if spent > budget_seconds:
            break
    return Timing(tuple(seconds), tuple(cpu))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def library_versions(names: tuple[str, ...]) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
