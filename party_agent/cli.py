"""The ``party-agent`` command line.

``init`` and ``version`` live here; every other command group is a module of
:mod:`party_agent.commands` that registers itself onto :data:`app`. Every failure is one
line ``error: ...`` on stderr with exit code 2 (usage, home or mapping) or 1 (anything
else); no message quotes input data.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.exceptions import TyperException

from party_agent.cli_support import HomeOption, reports_errors
from party_agent.commands import collaboration, power, query, upload
from party_agent.commands.blind import blind_command
from party_agent.commands.tokenize import tokenize_command

app = typer.Typer(
    help="Party agent: tokenize identifiers locally and talk to the clean room.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print the agent's version and protocol version."""
    from protocols import TOKEN_VERSION

    typer.echo(f"party-agent 0.1.0 (token protocol {TOKEN_VERSION})")


@app.command()
@reports_errors
def init(
    home: HomeOption,
    party: Annotated[str, typer.Option("--party", help="This party's name.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing identity in HOME.")
    ] = False,
) -> None:
    """Create the party's identity: X25519 and Ed25519 key pairs and party.json."""
    from party_agent.home import PartyHome

    created = PartyHome.create(home, party, force=force)
    typer.echo(f"created party home {created.path} for party {party!r}")
    typer.echo(f"x25519 (match-key wrapping) fingerprint:  {created.x25519_fingerprint}")
    typer.echo(f"ed25519 (policy signing) fingerprint:     {created.ed25519_fingerprint}")


app.command("tokenize")(reports_errors(tokenize_command))
app.command("blind")(reports_errors(blind_command))


for group in (collaboration, upload, query, power):
    group.register(app)


def main() -> None:
    """Entry point: click's usage errors become one ``error: ...`` line with exit code 2."""
    try:
        code = app(standalone_mode=False)
    except TyperException as exc:  # usage errors (exit code 2) and their kin
        typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(1)
    # Without standalone mode, click returns the code of a ``typer.Exit`` instead.
    sys.exit(code if isinstance(code, int) else 0)
