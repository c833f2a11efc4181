"""``party-agent upload``: send a tokenized file in verified chunks, resumable.

The upload session id is saved in ``HOME/uploads/<collaboration>.<dataset>.json`` before
the first chunk, so rerunning the same command after an interruption (Ctrl-C, a dropped
connection, a crash) continues from the server's resume point; a dropped connection is
also retried in place a few times. If the session was already published (the reply to
``complete`` was lost), the published version is reported and nothing is sent again.
``--list`` shows this member's unfinished sessions; ``--abort ID`` abandons one.

Sending starts at once: the file's footer goes with the session (the server validates
row groups as they arrive), and each chunk is read and hashed while the one before is
on the wire (:meth:`party_agent.client.CleanRoomClient.upload_file`). A busy server
(503 + Retry-After) is waited out, and each wait said on stderr.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from party_agent.cli_support import CollaborationOption, HomeOption, reports_errors
from party_agent.commands.collaboration import connect
from party_agent.errors import ConfigError
from protocols import DatasetKind

# httpx and cryptography load when the command runs, not for ``--help``.
if TYPE_CHECKING:
    from party_agent.client import Json, UploadProgress
    from party_agent.home import PartyHome

UPLOAD_RETRIES = 3


def state_path(home: PartyHome, collaboration: str, dataset: str) -> Path:
    return home.path / "uploads" / f"{collaboration}.{dataset}.json"


def _saved(path: Path) -> dict[str, object]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def _saved_upload_id(path: Path) -> str | None:
    upload_id = _saved(path).get("upload_id")
    return upload_id if isinstance(upload_id, str) else None


def _saved_upload(path: Path, file: Path) -> str | None:
    """The saved session id for ``path`` if it was saved for this very file."""
    return _saved_upload_id(path) if _saved(path).get("file") == str(file.resolve()) else None


def upload(
    home: HomeOption,
    file: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="Tokenized Parquet."),
    ] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Dataset name.")] = None,
    kind: Annotated[
        DatasetKind | None,
        typer.Option("--kind", help="Dataset kind (default: what the file says it is)."),
    ] = None,
    chunk_mib: Annotated[int, typer.Option("--chunk-mib", min=1, help="Chunk size.")] = 16,
    as_json: Annotated[bool, typer.Option("--json", help="Print the server's reply.")] = False,
    list_open: Annotated[
        bool, typer.Option("--list", help="List your unfinished upload sessions.")
    ] = False,
    abort: Annotated[
        str | None, typer.Option("--abort", help="Abandon the upload session of this id.")
    ] = None,
    collaboration: CollaborationOption = None,
) -> None:
    """Upload a tokenized file in verified chunks; rerun to resume after an interruption.

    The kind comes from the file (the kind its mapping declared, or the one kind whose
    columns it holds); --kind is needed only when the file does not tell, and a --kind
    the file contradicts is refused. A file identical to the dataset's newest version
    publishes nothing new (and says so).

    Example: party-agent upload --home brand/home --dataset exposures brand/exposures.parquet
    """
    from party_agent.home import PartyHome

    party = PartyHome.open(home)
    if list_open or abort is not None:
        if file is not None or dataset is not None or kind is not None or (list_open and abort):
            raise ConfigError("--list and --abort ID take no file, --dataset or --kind")
        manage_sessions(party, abort, collaboration, as_json)
        return
    if file is None or dataset is None:
        raise ConfigError("give FILE and --dataset (or --list, or --abort ID)")
    version = send_file(party, file, dataset, file_kind(file, kind), chunk_mib, collaboration)
    typer.echo(json.dumps(version, indent=2, sort_keys=True) if as_json else outcome(version))


def file_kind(file: Path, given: DatasetKind | None) -> DatasetKind:
    """The file's kind: its metadata or columns (``protocols.kind_of``), checked
    against ``--kind``; a usage error when neither tells or they disagree."""
    import pyarrow.parquet as pq

    from protocols import kind_of

    try:
        schema = pq.read_schema(file)
    except Exception:  # pyarrow raises several types for a file that is not Parquet
        raise ConfigError(f"{file} is not a Parquet file") from None
    found = kind_of(schema)
    if given is not None and found is not None and given is not found:
        raise ConfigError(
            f"{file.name} says it holds {found.value}, not {given.value}; nothing was sent"
        )
    kind = given or found
    if kind is None:
        choices = ", ".join(k.value for k in DatasetKind)
        raise ConfigError(f"{file.name} does not say what kind it is; pass --kind ({choices})")
    return kind


def manage_sessions(
    party: PartyHome, abort: str | None, collaboration: str | None = None, as_json: bool = False
) -> None:
    client, collaboration = connect(party, collaboration)
    with client:
        if abort is not None:
            client.abort_upload(collaboration, abort)
            for saved in (party.path / "uploads").glob(f"{collaboration}.*.json"):
                if _saved_upload_id(saved) == abort:
                    saved.unlink()
            typer.echo(json.dumps({"aborted": abort}) if as_json else f"aborted upload {abort}")
            return
        sessions = client.list_uploads(collaboration)
    if as_json:
        typer.echo(json.dumps(sessions, indent=2, sort_keys=True))
        return
    if not sessions:
        typer.echo("no unfinished uploads")
    for s in sessions:
        typer.echo(f"{s['id']}  {s['dataset']}  {s['status']}  {s['received']}/{s['size']} bytes")


def send_file(
    party: PartyHome,
    file: Path,
    dataset: str,
    kind: DatasetKind,
    chunk_mib: int,
    collaboration_id: str | None = None,
) -> Json:
    """Upload (or resume, or recognize as already published) ``file``; its version."""
    from party_agent.client import ServerUnreachable
    from party_agent.home import write_private

    client, collaboration = connect(party, collaboration_id)
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
    return version


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
