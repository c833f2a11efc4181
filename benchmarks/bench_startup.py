"""Start-up of the command lines: ``party-agent --help`` and ``cleanroom --help``.

Each program runs as a fresh ``python -m`` subprocess, timed on the wall clock, with its
CPU seconds from ``os.wait4`` (they barely change when others share the machine).
Baseline, measured in the same run: ``python -c pass`` (the interpreter's own start).
Target (issue 17): <= 0.3 s. ``tests/test_cli_startup.py`` checks that ``--help`` loads
no heavy module; this only measures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from benchmarks.common import Result

TARGET_SECONDS = 0.3
PROGRAMS = {
    "party-agent --help": ["-m", "party_agent", "--help"],
    "cleanroom --help": ["-m", "cleanroom", "--help"],
}


def timed(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``python args`` subprocess."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{args} failed")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def best(args: list[str], repeat: int) -> tuple[float, float, list[float]]:
    runs = [timed(args) for _ in range(repeat)]
    return min(w for w, _ in runs), min(c for _, c in runs), [w for w, _ in runs]


def run(quick: bool) -> list[Result]:
    repeat = 3 if quick else 7
    base_wall, base_cpu, _ = best(["-c", "pass"], repeat)
    results = []
    for name, args in PROGRAMS.items():
        wall, cpu, walls = best(args, repeat)
        verdict = "PASS" if wall <= TARGET_SECONDS else "MISS"
        results.append(
            Result(
                name=f"{name} start-up",
                value=wall,
                unit="s",
                baseline_name="python -c pass",
                baseline_value=base_wall,
                notes=(
                    f"best of {repeat} ({', '.join(f'{w:.3f}' for w in walls)} s); CPU "
                    f"{cpu:.3f} s (interpreter alone {base_cpu:.3f} s); target <= "
                    f"{TARGET_SECONDS} s: {verdict} (lower is better)"
                ),
            )
        )
    return results


if __name__ == "__main__":
    for result in run(quick=True):
        print(f"{result.name}: {result.value:.3f} {result.unit}  {result.notes}")
