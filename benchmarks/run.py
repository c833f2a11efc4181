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


def section(name: str, results: Sequence[Result], info: dict[str, str], command: str) -> str:
    """The ``## name`` section of results.md for one benchmark module's run."""
    lines = [f"## {name}", "", f"Command: `{command}`", ""]
    lines += ["| machine | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    lines += ["", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for result in results:
        cells = [cell.replace("|", "\\|") for cell in _row(result)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


PREAMBLE = """# Benchmark results

Written by `python -m benchmarks.run`; each benchmark's section is replaced when it runs
(so `--only NAME` keeps the others). Rates are items per second, best of the repetitions
noted. The machine is shared: other work running at the same time lowers the numbers,
so each section records the load average before and after its run.
"""


def merge_sections(existing: str, sections: dict[str, str]) -> str:
    """results.md with ``sections`` replacing (or added to) those already in ``existing``."""
    kept: dict[str, str] = {}
    for chunk in existing.split("\n## ")[1:]:
        name = chunk.split("\n", 1)[0].strip()
        kept[name] = "## " + chunk.rstrip("\n") + "\n"
    kept.update(sections)
    return PREAMBLE + "".join("\n" + kept[name] for name in sorted(kept))


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
    command = " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])])
    results: list[Result] = []
    sections: dict[str, str] = {}
    for name in names:
        console.print(f"[bold]running bench_{name}[/bold]" + (" (quick)" if args.quick else ""))
        started, load_before = datetime.now(UTC), load_average()
        module_results = run_module(name, args.quick)
        info = machine_info(started)
        info["load average (1/5/15 min)"] = f"before {load_before}; after {load_average()}"
        console.print(f"  load average (1/5/15 min): {info['load average (1/5/15 min)']}")
        sections[name] = section(name, module_results, info, command)
        results += module_results
    print_table(results, console)
    existing = RESULTS.read_text() if RESULTS.exists() else ""
    RESULTS.write_text(merge_sections(existing, sections))
    console.print(f"wrote {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
