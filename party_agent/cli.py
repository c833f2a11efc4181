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

from party_agent.cli_support import AsJson, HomeOption, reports_errors
from party_agent.commands import (
    collaboration,
    credentials,
    datasets,
    plan,
    power,
    query,
    upload,
)
from party_agent.commands.blind import blind_command
from party_agent.commands.tokenize import tokenize_command

app = typer.Typer(
    help="Party agent: tokenize identifiers locally and talk to the clean room.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print the agent's version and protocol version.

    Example: party-agent version
    """
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
    currency: Annotated[
        str | None,
        typer.Option("--currency", help="ISO 4217 code tables show money in, e.g. JPY."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Create the party's identity: X25519 and Ed25519 key pairs and party.json.

    Without --home the home is $PARTY_AGENT_HOME, else ~/.party-agent.

    Example: party-agent init --home brand/home --party brand
    """
    from party_agent.cli_support import currency_code
    from party_agent.home import PartyHome

    code = currency_code(currency)
    created = PartyHome.create(home, party, force=force)
    if code is not None:
        created.set_config(currency=code)
    if as_json:
        import json

        fingerprints = {
            "x25519": created.x25519_fingerprint,
            "ed25519": created.ed25519_fingerprint,
        }
        typer.echo(json.dumps({"home": str(created.path), "party": party, **fingerprints}))
        return
    typer.echo(f"created party home {created.path} for party {party!r}")
    typer.echo(f"x25519 (match-key wrapping) fingerprint:  {created.x25519_fingerprint}")
    typer.echo(f"ed25519 (policy signing) fingerprint:     {created.ed25519_fingerprint}")


@app.command("home")
@reports_errors
def show_home(
    home: HomeOption,
    currency: Annotated[
        str | None,
        typer.Option("--currency", help="Set the ISO 4217 code tables show money in."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Show the home: its path, party, default collaboration and currency (never a token).

    Example: party-agent home --home retailer/home --currency JPY
    """
    import json

    from party_agent.cli_support import currency_code
    from party_agent.home import PartyHome

    party = PartyHome.open(home)
    if currency is not None:
        party.set_config(currency=currency_code(currency))
    shown = {
        "home": str(party.path),
        "party": party.party,
        "default_collaboration": party.collaboration,
        "currency": party.currency,
        "collaborations": sorted(party.credentials()),
    }
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    for name, value in shown.items():
        text = ", ".join(value) if isinstance(value, list) else value
        typer.echo(f"{name + ':':<23} {text if text else '-'}")


app.command("tokenize")(reports_errors(tokenize_command))
app.command("blind")(reports_errors(blind_command))


for group in (collaboration, credentials, upload, datasets, query, power, plan):
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
