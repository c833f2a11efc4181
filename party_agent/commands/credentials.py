"""``party-agent credentials list|set|default``: the home's collaborations and tokens.

A home holds one server URL and API token per collaboration
(:mod:`party_agent.credentials`). ``set`` stores a new token the server admin issued
(``cleanroom admin issue-token``) for one collaboration, after the server confirmed it
belongs to that collaboration; nothing here ever prints a token.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from party_agent.cli_support import AsJson, HomeOption, reports_errors
from party_agent.errors import ConfigError

if TYPE_CHECKING:
    from party_agent.credentials import Credential

CollaborationArg = Annotated[
    str, typer.Option("--collaboration", help="The collaboration id (col_...).")
]


def _public(collaboration: str, credential: Credential, default: str | None) -> dict[str, object]:
    return {
        "collaboration_id": collaboration,
        "server": credential.server,
        "member_id": credential.member_id,
        "party": credential.party,
        "role": credential.role,
        "default": collaboration == default,
    }


def list_credentials(home: HomeOption, as_json: AsJson = False) -> None:
    """List the collaborations this home holds credentials for (never the tokens).

    Example: party-agent credentials list --home brand/home
    """
    from party_agent.home import PartyHome

    party = PartyHome.open(home)
    default = party.collaboration
    rows = [_public(c, cred, default) for c, cred in sorted(party.credentials().items())]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no collaborations yet; run 'party-agent join'")
    for row in rows:
        mark = "*" if row["default"] else " "
        who = f"{row['party'] or '?'} ({row['role'] or '?'})"
        typer.echo(f"{mark} {row['collaboration_id']}  {who}  {row['server']}")


def set_credential(
    home: HomeOption,
    collaboration: CollaborationArg,
    token: Annotated[str, typer.Option("--token", help="The new API token from the admin.")],
    server: Annotated[
        str | None,
        typer.Option("--server", help="Server URL (default: the one stored for it)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Store a new API token for one collaboration (after a revocation or a rotation).

    The server must confirm the token belongs to that collaboration; the other
    collaborations' credentials are left as they are.

    Example: party-agent credentials set --collaboration col_4d3b... --token crt_...
    """
    from party_agent.client import CleanRoomClient
    from party_agent.credentials import Credential
    from party_agent.home import PartyHome, check_collaboration_id

    party = PartyHome.open(home)
    check_collaboration_id(collaboration)
    stored = party.credentials().get(collaboration)
    url = server or (stored.server if stored else None)
    if url is None:
        raise ConfigError(f"no server stored for {collaboration}; pass --server URL")
    with CleanRoomClient(url, token) as client:
        me = client.me()
    if me.get("collaboration_id") != collaboration:
        raise ConfigError(f"the server says this token is not for collaboration {collaboration}")
    credential = Credential(url, token, me.get("member_id"), me.get("party"), me.get("role"))
    party.store_credential(collaboration, credential)
    row = _public(collaboration, credential, party.collaboration)
    if as_json:
        typer.echo(json.dumps({**row, "token_id": me.get("token_id")}, indent=2))
        return
    typer.echo(f"stored a new token ({me.get('token_id')}) for collaboration {collaboration}")


def set_default(
    home: HomeOption, collaboration: Annotated[str, typer.Argument()], as_json: AsJson = False
) -> None:
    """Make one of the home's collaborations the default.

    Example: party-agent credentials default col_4d3bf4ec0139ce8c --home brand/home
    """
    from party_agent.home import PartyHome

    party = PartyHome.open(home)
    credential = party.set_default(collaboration)
    if as_json:
        typer.echo(json.dumps(_public(collaboration, credential, collaboration), indent=2))
        return
    typer.echo(f"default collaboration: {collaboration}")


def register(app: typer.Typer) -> None:
    """Add ``credentials list|set|default`` to the agent's Typer app."""
    group = typer.Typer(help="The home's collaborations: list them, store a new token.")
    group.command("list")(reports_errors(list_credentials))
    group.command("set")(reports_errors(set_credential))
    group.command("default")(reports_errors(set_default))
    app.add_typer(group, name="credentials")
