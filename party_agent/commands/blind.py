"""``party-agent blind``: protocol v2's one extra step (see :mod:`party_agent.blinding`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from party_agent.cli_support import HomeOption

# httpx, rich and libsodium load when the command runs, not for ``--help``.
if TYPE_CHECKING:
    from party_agent.blinding import BlindSummary, Progress
    from party_agent.home import PartyHome


def blind_command(
    home: HomeOption,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the summary, as JSON.")
    ] = False,
) -> None:
    """Protocol v2: blind the other party's tokens with yours and send them back.

    Run after the other party uploaded; rerun to resume after an interruption. Every
    point received is checked; a malformed batch is refused and nothing is sent.
    """
    from party_agent.home import PartyHome
    from party_agent.progress import wants_bar

    party = PartyHome.open(home)
    summary = _with_bar(party) if wants_bar(quiet, as_json) else run_blind(party, None)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), sort_keys=True))
    elif not quiet:
        typer.echo(summary.to_text())


def run_blind(party: PartyHome, progress: Progress | None) -> BlindSummary:
    from party_agent.blinding import blind_all
    from party_agent.commands.collaboration import connect
    from party_agent.scalars import load_scalar

    client, collaboration = connect(party)
    with client:
        return blind_all(
            client,
            collaboration,
            lambda family: load_scalar(party, collaboration, family),
            progress,
        )


def _with_bar(party: PartyHome) -> BlindSummary:
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("blinding the other party's points", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run_blind(party, update)
