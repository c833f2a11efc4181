"""The ``party-agent`` command line."""

from __future__ import annotations

import typer

app = typer.Typer(help="Party agent: tokenize identifiers locally and talk to the clean room.")


@app.command()
def version() -> None:
    """Print the agent's version and protocol version."""
    from protocols import TOKEN_VERSION

    typer.echo(f"party-agent 0.1.0 (token protocol {TOKEN_VERSION})")


def main() -> None:
    app()
