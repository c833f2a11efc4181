"""The ``cleanroom`` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from cleanroom.cli import admin
from cleanroom.cli.audit import audit_app
from cleanroom.cli.policy import policy_app
from cleanroom.cli.serve import serve
from cleanroom.demo.command import demo

app = typer.Typer(help="Clean-room server and administration.", no_args_is_help=True)
app.add_typer(admin.app, name="admin")
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
app.command()(demo)


@app.command()
def version() -> None:
    """Print the server's version and protocol version.

    Example: cleanroom version
    """
    from protocols import TOKEN_VERSION

    typer.echo(f"cleanroom 0.1.0 (token protocol {TOKEN_VERSION})")


app.command()(serve)


def main() -> None:
    app()
