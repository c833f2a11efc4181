"""``cleanroom audit export|verify|report``: the compliance team's commands.

``export`` and ``report`` read a server's data dir directly (``--data-dir``, the
operator's view) or, for ``export``, the HTTP API with an auditor token (``--server``
and ``--token``). ``verify`` needs nothing but the export and the server's public key.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from protocols import InvalidKey

# httpx, cryptography, the audit log and its storage load inside the commands, not for
# ``--help`` (tests/test_cli_startup.py).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from cleanroom.storage.bootstrap import Storage

audit_app = typer.Typer(help="Export, verify and report on the audit log.", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="The server's data dir (operator access).")
]
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="PostgreSQL URL if not SQLite.")
]
Collaboration = Annotated[str, typer.Option("--collaboration", help="Collaboration id.")]


class UsageProblem(Exception):
    """A wrong combination of options or a missing file: exit 2."""


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key from a PEM file or a file holding base64url raw bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from protocols import decode_ed25519_public_key

    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidKey(f"{path} does not hold an Ed25519 public key")
        return key
    return decode_ed25519_public_key(data.decode(errors="replace").strip())


def _open_data_dir(data_dir: Path, database_url: str | None) -> Storage:
    from cleanroom.settings import Settings
    from cleanroom.storage.bootstrap import open_storage

    settings = Settings(data_dir=data_dir, database_url=database_url)
    if not data_dir.is_dir() or (database_url is None and not settings.db_path.exists()):
        raise UsageProblem(f"{data_dir} is not a clean-room data dir (no cleanroom.db)")
    return open_storage(settings)


def _local_export(storage: Storage, collaboration: str) -> list[str]:
    from cleanroom import audit
    from cleanroom.audit.export import export_lines
    from cleanroom.query.repeats import seal_pending_repeats

    with storage.sessionmaker() as session:
        seal_pending_repeats(session, collaboration)  # the export accounts for every repeat
        audit.record(
            session, actor="operator", action="audit.exported", collaboration_id=collaboration
        )
        session.commit()
        return list(export_lines(session, collaboration, storage.signing_key))


def _remote_export(server: str, token: str, collaboration: str) -> list[str]:
    import httpx

    url = f"{server.rstrip('/')}/v1/collaborations/{collaboration}/audit"
    reply = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    if reply.status_code != 200:
        detail = reply.json().get("detail", reply.reason_phrase) if reply.content else ""
        raise UsageProblem(f"server refused the export: {detail} ({reply.status_code})")
    return [line for line in reply.text.splitlines() if line.strip()]


def _describe(exc: Exception) -> str:
    """One line; for a database error its cause, never the SQL statement."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        cause = str(getattr(exc, "orig", None) or type(exc).__name__).strip()
        return f"cannot read the database: {cause.splitlines()[0] if cause else 'unknown'}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {_describe(exc)}", err=True)
    return typer.Exit(2)


@audit_app.command("export")
def export(
    collaboration: Collaboration,
    out: Annotated[Path, typer.Option("--out", help="Where to write the JSON Lines export.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    server: Annotated[str | None, typer.Option("--server", help="Server URL (API).")] = None,
    token: Annotated[str | None, typer.Option("--token", help="Auditor API token.")] = None,
) -> None:
    """Write every entry of a collaboration's chain and a signed head record.

    Example: cleanroom audit export --data-dir server --collaboration col_4d3b... --out log.jsonl
    """
    import httpx
    from sqlalchemy.exc import SQLAlchemyError

    from cleanroom.errors import CleanRoomError

    try:
        if (data_dir is None) == (server is None) or (server is not None and not token):
            raise UsageProblem("give either --data-dir, or --server with --token")
        if data_dir is not None:
            lines = _local_export(_open_data_dir(data_dir, database_url), collaboration)
        else:
            lines = _remote_export(str(server), str(token), collaboration)
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except (
        UsageProblem,
        OSError,
        CleanRoomError,
        SQLAlchemyError,
        ValueError,
        httpx.HTTPError,
    ) as exc:
        raise _fail(exc) from None
    typer.echo(f"wrote {len(lines) - 1} entries and a signed head to {out}")


@audit_app.command("verify")
def verify(
    log: Annotated[Path, typer.Argument(help="Exported audit log (JSON Lines).")],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="The server's Ed25519 public key (PEM or b64url).")
    ],
) -> None:
    """Check every entry's signature, hash and chain link, and the signed head record.

    Prints OK, or the first bad entry and why; exits 1 when the log does not verify.

    Example: cleanroom audit verify log.jsonl --public-key server/keys/server-ed25519.pub.pem
    """
    from cleanroom.audit import verify_lines

    try:
        key = load_public_key(public_key)
        with log.open(encoding="utf-8") as lines:
            report = verify_lines(lines, key)
    except (OSError, InvalidKey, ValueError) as exc:
        raise _fail(exc) from None
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("report")
def report(
    collaboration: Collaboration,
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML report.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Render the compliance report: policy, approvals, history, query log, budget chart.

    The log is exported and verified first; the verification line is on the page.

    Example: cleanroom audit report --data-dir server --collaboration col_4d3b... --out report.html
    """
    from sqlalchemy.exc import SQLAlchemyError

    from cleanroom.audit import verify_lines
    from cleanroom.audit.export import report_input
    from cleanroom.audit.report import render_report
    from cleanroom.errors import CleanRoomError

    try:
        if data_dir is None:
            raise UsageProblem("give --data-dir (the server's data dir)")
        storage = _open_data_dir(data_dir, database_url)
        lines = _local_export(storage, collaboration)
        verified = verify_lines(lines, storage.signing_key.public_key()).summary()
        with storage.sessionmaker() as session:
            page = render_report(report_input(session, collaboration, lines, verified))
        out.write_text(page, encoding="utf-8")
    except (UsageProblem, OSError, CleanRoomError, SQLAlchemyError) as exc:
        raise _fail(exc) from None
    typer.echo(f"wrote the compliance report to {out} ({verified})")
