"""``party-agent datasets [NAME]``: what a collaboration holds, with versions and hashes.

Without a name, one row per published dataset (its newest version's rows and SHA-256,
and how many versions it has); with a name, one row per version of that dataset.
``--json`` prints the server's reply. SHA-256s are cut to 16 digits unless ``--wide``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from party_agent.cli_support import AsJson, CollaborationOption, HomeOption, reports_errors

if TYPE_CHECKING:
    from party_agent.client import Json

TABLE_WIDTH = 100
Wide = Annotated[bool, typer.Option("--wide", help="Full SHA-256s and timestamps.")]


def _hash(sha256: str, wide: bool) -> str:
    return sha256 if wide else f"{sha256[:16]}…"


def _when(created_at: str, wide: bool) -> str:
    return created_at if wide else created_at[:16].replace("T", " ")


def datasets(
    home: HomeOption,
    name: Annotated[str | None, typer.Argument(help="One dataset: list all its versions.")] = None,
    collaboration: CollaborationOption = None,
    wide: Wide = False,
    as_json: AsJson = False,
) -> None:
    """List the collaboration's published datasets, or every version of one.

    Example: party-agent datasets --home brand/home
    """
    from party_agent.commands.collaboration import connect
    from party_agent.home import PartyHome

    client, collab = connect(PartyHome.open(home), collaboration)
    with client:
        reply = client.dataset_versions(collab, name) if name else client.datasets(collab)
        members = {} if name or as_json else {m["id"]: m["party"] for m in client.members(collab)}
    if as_json:
        typer.echo(json.dumps(reply, indent=2, sort_keys=True))
        return
    console = Console(width=None if wide else TABLE_WIDTH, soft_wrap=wide)
    console.print(version_table(name, reply, wide) if name else dataset_table(reply, members, wide))


def dataset_table(found: list[Json], parties: dict[str, str], wide: bool) -> Table | str:
    if not found:
        return "no datasets published yet"
    table = Table(title="datasets", title_justify="left")
    for column in ("dataset", "kind", "owner", "versions", "rows (newest)", "sha256 (newest)"):
        right = column in ("versions", "rows (newest)")
        table.add_column(column, justify="right" if right else "left")
    for d in found:
        latest = d["latest"]
        table.add_row(
            d["name"],
            d["kind"],
            parties.get(d["owner_id"], d["owner_id"]),
            f"{len(d['versions'])} (v{latest['version']})",
            f"{latest['rows']:,}",
            _hash(latest["sha256"], wide),
        )
    return table


def version_table(name: str, versions: list[Json], wide: bool) -> Table:
    table = Table(title=f"versions of {name}", title_justify="left")
    for column in ("version", "rows", "bytes", "sha256", "published (UTC)"):
        table.add_column(column, justify="right" if column in ("rows", "bytes") else "left")
    for v in versions:
        table.add_row(
            f"v{v['version']}",
            f"{v['rows']:,}",
            f"{v['size']:,}",
            _hash(v["sha256"], wide),
            _when(str(v["created_at"]), wide),
        )
    return table


def register(app: typer.Typer) -> None:
    """Add ``datasets`` to the agent's Typer app."""
    app.command("datasets")(reports_errors(datasets))
