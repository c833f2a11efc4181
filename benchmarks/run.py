"""Run every ``benchmarks/bench_*.py`` module, print a table, write ``results.md``.

    python -m benchmarks.run [--quick] [--only NAME]

``--only tokenize`` runs ``bench_tokenize.py`` alone; ``--quick`` uses small inputs and
fewer repetitions (a smoke test of the harness, not a measurement to quote).
"""

from __future__ import annotations

import argparse
import importlib
import ssl
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.common import Result, cpu_model, library_versions, load_average, usable_cores

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
LIBRARIES = ("pyarrow", "numpy", "phonenumbers", "cryptography", "rich")


def discover() -> list[str]:
    """Names of the benchmark modules, e.g. ``["tokenize"]`` for ``bench_tokenize.py``."""
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def run_module(name: str, quick: bool) -> list[Result]:
    module = importlib.import_module(f"benchmarks.bench_{name}")
    results: list[Result] = module.run(quick)
    return results


def machine_info(started: datetime) -> dict[str, str]:
    versions = library_versions(LIBRARIES)
    return {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "usable cores": str(usable_cores()),
        "python": sys.version.split()[0],
        "openssl": ssl.OPENSSL_VERSION,
        **versions,
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def _verdict(result: Result) -> str:
    return {True: "PASS", False: "MISS", None: "-"}[result.passed]


def _row(result: Result) -> list[str]:
    ratio = result.ratio
    return [
        result.name,
        f"{_fmt(result.value)} {result.unit}",
        f"{result.baseline_name}: {_fmt(result.baseline_value)}" if result.baseline_name else "",
        f"{ratio:.2f}x" if ratio is not None else "",
        result.target,
        _verdict(result),
        result.notes,
    ]


HEADERS = ["benchmark", "value", "baseline", "ratio", "target", "result", "notes"]


def print_table(results: Sequence[Result], console: Console) -> None:
    table = Table(*HEADERS, title="benchmarks", show_lines=True)
    for result in results:
        table.add_row(*_row(result))
    console.print(table)


def markdown(
    results: Sequence[Result], info: dict[str, str], command: str, load: tuple[str, str]
) -> str:
    lines = ["# Benchmark results", "", f"Command: `{command}`", ""]
    lines += ["| machine | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    lines += [f"| load average (1/5/15 min) before / after | {load[0]} / {load[1]} |", ""]
    lines += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for result in results:
        cells = [cell.replace("|", "\\|") for cell in _row(result)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Rates are items per second, best of the repetitions noted. The machine is shared;",
        "other work running at the same time lowers the numbers (see the load average).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--only", metavar="NAME", help="run one benchmark (e.g. tokenize)")
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke test")
    args = parser.parse_args(argv)
    names = discover()
    if args.only:
        wanted = args.only.removeprefix("bench_").removesuffix(".py")
        if wanted not in names:
            parser.error(f"no benchmark {args.only!r}; known: {', '.join(names)}")
        names = [wanted]
    console = Console(width=160) if not sys.stdout.isatty() else Console()
    started = datetime.now(UTC)
    load_before = load_average()
    results: list[Result] = []
    for name in names:
        console.print(f"[bold]running bench_{name}[/bold]" + (" (quick)" if args.quick else ""))
        results += run_module(name, args.quick)
    print_table(results, console)
    command = " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])])
    text = markdown(results, machine_info(started), command, (load_before, load_average()))
    RESULTS.write_text(text)
    console.print(f"wrote {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
