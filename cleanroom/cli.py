"""The ``cleanroom`` command line."""

from __future__ import annotations

import typer

app = typer.Typer(help="Clean-room server and administration.")


@app.command()
def version() -> None:
    """Print the server's version and protocol version."""
    from protocols import TOKEN_VERSION

    typer.echo(f"cleanroom 0.1.0 (token protocol {TOKEN_VERSION})")


def main() -> None:
    app()
