"""``cleanroom demo``: the whole closed loop on one machine, with synthetic data.

Progress goes to stderr. Without ``--json`` the results (tables with intervals and
truth), the report paths and sign-in tokens for the web console go to stdout; in a
terminal (and without ``--no-wait``) the server is then started again and serves the
console until Enter; with ``--json`` stdout holds exactly one JSON
document with everything. A failure is one line ``error: ...`` and a non-zero exit code,
and the server is stopped either way. The heavy modules load only when the demo runs,
so registering the command costs the ``cleanroom`` CLI nothing.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from cleanroom.demo.errors import DemoError


def _stdout() -> Console:
    """The terminal's width on a terminal; wide enough for the tables in a pipe or a log."""
    console = Console()
    return console if console.is_terminal else Console(width=132)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def demo(
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Working directory (recreated on each run).")
    ] = Path("demo-workdir"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic world.")] = 7,
    rows: Annotated[
        int | None,
        typer.Option(
            "--rows", min=100, help="About this many exposure rows [default: about 720,000]."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document (progress on stderr).")
    ] = False,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait", help="Stop the server at the end, even in a terminal (as without one)."
        ),
    ] = False,
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="v1: HMAC tokens under a shared match key; v2: double-blind ristretto255 "
            "(no match key; one more step, 'party-agent blind').",
        ),
    ] = "v1",
) -> None:
    """Run the whole closed loop on this machine: two parties, a real server, DP results
    next to the truth, the audit log verified, and HTML reports. In a terminal the server
    then serves the web console until Enter; sign-in tokens for each role are printed.

    Example: cleanroom demo --workdir demo-workdir --seed 7
    """
    from cleanroom.demo.console_access import print_stopped, serve_until_enter
    from cleanroom.demo.run import NOTE, POOLING_NOTE, DemoOptions, run_demo
    from cleanroom.demo.tables import print_results

    if protocol not in ("v1", "v2"):
        typer.echo(f"error: unknown --protocol {protocol!r}; use v1 or v2", err=True)
        raise typer.Exit(2)
    console = Console(stderr=True)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        run = run_demo(DemoOptions(workdir, seed, rows, as_json, protocol), console)
    except DemoError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted (the server was stopped)", err=True)
        raise typer.Exit(130) from None
    total = run.document["timings"]["total"]
    console.print(f"[bold]done[/bold] in {total:.1f} s; the server is stopped", highlight=False)
    if as_json:
        typer.echo(json.dumps(run.document, indent=2))
        return
    notes = [NOTE, POOLING_NOTE] if run.pooled else [NOTE]
    out = _stdout()
    print_results(run.results, run.pooled, run.audit.summary, run.reports, notes, out)
    if no_wait or not (sys.stdin.isatty() and sys.stdout.isatty()):
        print_stopped(out, run.layout, run.tokens)
        return
    try:
        serve_until_enter(out, run.layout, run.tokens, input)
    except DemoError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
