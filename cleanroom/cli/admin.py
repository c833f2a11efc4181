"""``cleanroom admin``: bootstrap the first admin token, then manage over the HTTP API.

``init`` and ``migrate`` work directly on the data dir (there is no admin yet to call the
API with; the server must be stopped); every other command calls the running server with
an admin token (``--server``/``CLEANROOM_SERVER``, ``--token``/``CLEANROOM_ADMIN_TOKEN``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

# httpx, the server and its storage load inside the commands, not for ``--help``
# (tests/test_cli_startup.py).
if TYPE_CHECKING:
    from cleanroom.settings import Settings
    from cleanroom.storage.bootstrap import Storage

app = typer.Typer(help="Administer a clean-room server.", no_args_is_help=True)

Server = Annotated[str, typer.Option("--server", envvar="CLEANROOM_SERVER", help="Server URL")]
Token = Annotated[
    str, typer.Option("--token", envvar="CLEANROOM_ADMIN_TOKEN", help="Admin API token")
]
DataDir = Annotated[Path, typer.Option("--data-dir", envvar="CLEANROOM_DATA_DIR")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", envvar="CLEANROOM_DATABASE_URL")]
AsJson = Annotated[
    bool, typer.Option("--json", help="Print the result as one JSON document (for scripts).")
]


def emit(as_json: bool, document: Any, line: str) -> None:
    """``document`` as JSON with ``--json``, else the one human ``line``."""
    typer.echo(json.dumps(document, indent=2, sort_keys=True) if as_json else line)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def call(server: str, token: str, method: str, path: str, body: Any = None) -> Any:
    """One API call; problem+json refusals become one ``error:`` line."""
    import httpx

    try:
        response = httpx.request(
            method,
            server.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    except httpx.HTTPError as error:
        fail(f"cannot reach {server}: {type(error).__name__}")
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        fail(f"{detail} (HTTP {response.status_code})")
    return response.json() if response.content else None


@app.command()
def init(
    data_dir: DataDir,
    database_url: DatabaseUrl = None,
    force: Annotated[bool, typer.Option(help="Issue another admin token")] = False,
    as_json: AsJson = False,
) -> None:
    """Create the data dir and print a one-time bootstrap admin token.

    Example: cleanroom admin init --data-dir server --json
    """
    from cleanroom.server.auth import bootstrap_admin, create_admin_token
    from cleanroom.settings import Settings

    storage = open_or_fail(Settings(data_dir=data_dir, database_url=database_url))
    if force:
        with storage.sessionmaker() as session:
            token_id, secret = create_admin_token(session)
    else:
        issued = bootstrap_admin(storage)
        if issued is None:
            fail("an admin token already exists (use --force to issue another)")
        token_id, secret = issued
    emit(
        as_json,
        {"token_id": token_id, "token": secret, "role": "admin"},
        f"admin token ({token_id}), shown once: {secret}",
    )


def open_or_fail(settings: Settings) -> Storage:
    """Open the data dir, or one ``error:`` line (another key, an old or newer schema)."""
    from cleanroom.errors import StartupRefused
    from cleanroom.storage.bootstrap import open_storage

    try:
        return open_storage(settings)
    except StartupRefused as refused:
        fail(refused.detail)


@app.command()
def migrate(data_dir: DataDir, database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Upgrade the database schema to this release's revision (stop the server first).

    Example: cleanroom admin migrate --data-dir server
    """
    from cleanroom.errors import StartupRefused
    from cleanroom.settings import Settings
    from cleanroom.storage.db import make_engine
    from cleanroom.storage.exclusive import lock_for_serving
    from cleanroom.storage.schema import upgrade

    settings = Settings(data_dir=data_dir, database_url=database_url)
    if database_url is None and not settings.db_path.exists():
        fail(f"{data_dir} holds no database (cleanroom.db) to migrate", 2)
    engine = make_engine(settings)
    try:
        lock = lock_for_serving(settings, engine)
        try:
            before, after = upgrade(engine)
        finally:
            lock.release()
    except StartupRefused as refused:
        fail(refused.detail)
    if before == after:
        line = f"schema already at revision {after}"
    else:
        line = f"schema upgraded from revision {before} to {after}"
    emit(as_json, {"before": before, "after": after}, line)


@app.command("create-collaboration")
def create_collaboration(
    name: Annotated[str, typer.Option("--name")],
    server: Server,
    token: Token,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: strict)")] = None,
    as_json: AsJson = False,
) -> None:
    """Create a collaboration; prints its id.

    Example: cleanroom admin create-collaboration --name summer --policy policy.yaml
    """
    body: dict[str, Any] = {"name": name}
    if policy is not None:
        try:
            body["policy_yaml"] = policy.read_text(encoding="utf-8")
        except OSError as error:
            fail(f"cannot read {policy}: {error.strerror}", 2)
    created = call(server, token, "POST", "/v1/collaborations", body)
    emit(as_json, created, created["id"])


@app.command("add-member")
def add_member(
    collaboration: Annotated[str, typer.Option("--collaboration")],
    party: Annotated[str, typer.Option("--party")],
    role: Annotated[str, typer.Option("--role", help="party_admin | analyst | auditor")],
    server: Server,
    token: Token,
    as_json: AsJson = False,
) -> None:
    """Add a member and print its API token (shown once).

    Example: cleanroom admin add-member --collaboration col_4d3b... --party brand
    --role party_admin --json
    """
    issued = call(
        server,
        token,
        "POST",
        f"/v1/collaborations/{collaboration}/members",
        {"party": party, "role": role},
    )
    emit(as_json, issued, f"member {issued['member']['id']} {token_line(issued)}")


def token_line(issued: dict[str, Any]) -> str:
    return f"token ({issued['token_id']}): {issued['token']}"


@app.command("issue-token")
def issue_token(
    collaboration: Annotated[str, typer.Option("--collaboration", help="Collaboration id")],
    member: Annotated[
        str, typer.Option("--member", help="The member's id (mem_...) or its party name")
    ],
    server: Server,
    token: Token,
    as_json: AsJson = False,
) -> None:
    """Issue a new API token for a member (shown once), e.g. after a revocation.

    The member stores it with 'party-agent credentials set --collaboration ID --token
    TOKEN'; revoke the old one with 'revoke-token' once the new one works.

    Example: cleanroom admin issue-token --collaboration col_4d3b... --member brand --json
    """
    base = f"/v1/collaborations/{collaboration}/members"
    members = call(server, token, "GET", base)
    found = [m for m in members if member in (m["id"], m["party"])]
    if not found:
        fail(f"no member {member!r} in collaboration {collaboration}", 2)
    issued = call(server, token, "POST", f"{base}/{found[0]['id']}/tokens")
    party = issued["member"]["party"]
    emit(as_json, issued, f"member {issued['member']['id']} ({party}) {token_line(issued)}")


@app.command("revoke-token")
def revoke_token(token_id: str, server: Server, token: Token, as_json: AsJson = False) -> None:
    """Revoke an API token by its id (``tok_...``).

    Example: cleanroom admin revoke-token tok_4a66...
    """
    call(server, token, "DELETE", f"/v1/tokens/{token_id}")
    emit(as_json, {"revoked": token_id}, f"revoked {token_id}")


@app.command("list")
def list_collaborations(server: Server, token: Token) -> None:
    """List collaborations as JSON.

    Example: cleanroom admin list
    """
    typer.echo(json.dumps(call(server, token, "GET", "/v1/collaborations"), indent=2))
