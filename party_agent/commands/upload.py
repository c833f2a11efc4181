"""``party-agent upload``: send a tokenized file in verified chunks, resumable.

The upload session id is saved in ``HOME/uploads/<collaboration>.<dataset>.json`` before
the first chunk, so rerunning the same command after an interruption (Ctrl-C, a dropped
connection, a crash) continues from the server's resume point; a dropped connection is
also retried in place a few times.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from party_agent.cli_support import HomeOption, reports_errors
from party_agent.commands.collaboration import connect
from protocols import DatasetKind

# httpx and cryptography load when the command runs, not for ``--help``.
if TYPE_CHECKING:
    from party_agent.client import Json, UploadProgress
    from party_agent.home import PartyHome

UPLOAD_RETRIES = 3


def state_path(home: PartyHome, collaboration: str, dataset: str) -> Path:
    return home.path / "uploads" / f"{collaboration}.{dataset}.json"


def _saved_upload(path: Path, file: Path) -> str | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    upload_id = saved.get("upload_id") if saved.get("file") == str(file.resolve()) else None
    return upload_id if isinstance(upload_id, str) else None


def upload(
    home: HomeOption,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Tokenized Parquet.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name on the server.")],
    kind: Annotated[DatasetKind, typer.Option("--kind", help="Dataset kind.")],
    chunk_mib: Annotated[int, typer.Option("--chunk-mib", min=1, help="Chunk size.")] = 16,
    as_json: Annotated[bool, typer.Option("--json", help="Print the server's reply.")] = False,
) -> None:
    """Upload a tokenized file in verified chunks; rerun to resume after an interruption.

    A file identical to the dataset's newest version publishes nothing new (and says so).
    """
    from party_agent.client import ServerUnreachable
    from party_agent.home import PartyHome, write_private

    party = PartyHome.open(home)
    client, collaboration = connect(party)
    saved = state_path(party, collaboration, dataset)

    def remember(session: Json) -> None:
        if session["received"]:
            typer.echo(f"resuming upload {session['id']} at byte {session['received']}", err=True)
        record = {"upload_id": session["id"], "file": str(file.resolve())}
        write_private(saved, json.dumps(record).encode())

    with client, UploadBar(file.stat().st_size) as show:
        for attempt in range(1, UPLOAD_RETRIES + 1):
            try:
                version = client.upload_file(
                    collaboration,
                    file,
                    dataset,
                    kind.value,
                    resume_id=_saved_upload(saved, file),
                    chunk_size=chunk_mib * 1024 * 1024,
                    on_session=remember,
                    on_progress=show,
                )
                break
            except ServerUnreachable:
                if attempt == UPLOAD_RETRIES:
                    raise
                time.sleep(attempt)
    saved.unlink(missing_ok=True)
    typer.echo(json.dumps(version, indent=2, sort_keys=True) if as_json else outcome(version))


def outcome(version: Json) -> str:
    """One line: what the server published, or that the bytes were already the newest."""
    name = f"{version['dataset']} v{version['version']}"
    if version.get("published") is False:
        return (
            f"unchanged: {name} already holds these exact bytes (sha256 {version['sha256']}); "
            "nothing new was published, so repeated queries stay free"
        )
    return f"published {name}: {version['rows']} rows, sha256 {version['sha256']}"


class UploadBar:
    """A rich transfer bar on stderr (terminals only), driven by :class:`UploadProgress`."""

    def __init__(self, total: int) -> None:
        console = Console(stderr=True)
        self._enabled = console.is_terminal
        self._progress = Progress(
            TextColumn("uploading"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("upload", total=max(total, 1))

    def __enter__(self) -> UploadBar:
        if self._enabled:
            self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._enabled:
            self._progress.stop()

    def __call__(self, progress: UploadProgress) -> None:
        self._progress.update(self._task, completed=progress.sent)


def register(app: typer.Typer) -> None:
    """Add ``upload`` to the agent's Typer app."""
    app.command("upload")(reports_errors(upload))
