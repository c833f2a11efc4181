"""Upload sessions on disk: temp files under ``DATA_DIR/tmp``, written chunk by chunk.

A chunk is streamed straight to the temp file at its offset while its SHA-256 is
computed; on a checksum mismatch, an oversize body or a client that disconnects, the
file is truncated back to the offset so the session stays consistent and resumable.
Nothing here is visible as a dataset until :mod:`cleanroom.uploads.publish` renames the file.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cleanroom.errors import ChunkChecksumMismatch, Conflict, InsufficientStorage, PayloadTooLarge
from cleanroom.settings import Settings
from cleanroom.storage.bootstrap import Storage, open_exclusive
from cleanroom.storage.clock import session_now
from cleanroom.storage.models import DatasetVersion, UploadSession, UploadStatus


def temp_path(settings: Settings, upload_id: str) -> Path:
    return settings.tmp_dir / f"{upload_id}.part"


def create_temp_file(settings: Settings, upload_id: str) -> Path:
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    path = temp_path(settings, upload_id)
    path.touch(mode=0o600, exist_ok=False)
    return path


def discard_temp_file(settings: Settings, upload_id: str) -> None:
    temp_path(settings, upload_id).unlink(missing_ok=True)


class UploadLocks:
    """One chunk at a time per upload session (single server process)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def get(self, upload_id: str) -> asyncio.Lock:
        return self._locks.setdefault(upload_id, asyncio.Lock())

    def drop(self, upload_id: str) -> None:
        self._locks.pop(upload_id, None)


#: Bytes gathered from the request before one write (and hash update) in a worker thread.
WRITE_BUFFER = 1024 * 1024


def _open_at(path: Path, offset: int) -> BinaryIO:
    handle = path.open("r+b")
    handle.seek(offset)
    return handle


class _ChunkFile:
    """An open temp file taking one chunk; every blocking call runs in a worker thread."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.pending = bytearray()

    def _write(self, data: bytes) -> None:
        self.digest.update(data)
        self.handle.write(data)

    def _close(self, end: int) -> None:
        with self.handle:
            self.handle.truncate(end)

    async def add(self, piece: bytes) -> None:
        self.pending += piece
        if len(self.pending) >= WRITE_BUFFER:
            await self.flush()

    async def flush(self) -> None:
        data, self.pending = bytes(self.pending), bytearray()
        if data:
            await anyio.to_thread.run_sync(self._write, data)

    async def close(self, end: int) -> None:
        await anyio.to_thread.run_sync(self._close, end)


async def write_chunk(
    path: Path, offset: int, body: AsyncIterator[bytes], limit: int, expected_sha256: str
) -> int:
    """Stream ``body`` into ``path`` at ``offset``; returns bytes written or raises.

    The event loop only gathers the body; file writes and hashing run in worker threads.
    """
    target = _ChunkFile(await anyio.to_thread.run_sync(_open_at, path, offset))
    written = 0
    try:
        async for piece in body:
            written += len(piece)
            if written > limit:
                raise PayloadTooLarge(
                    f"chunk exceeds the {limit} bytes left in this upload or the chunk limit"
                )
            await target.add(piece)
        await target.flush()
        if target.digest.hexdigest() != expected_sha256:
            raise ChunkChecksumMismatch(
                f"chunk at offset {offset} ({written} bytes) does not match X-Chunk-SHA256"
            )
    except BaseException:
        with anyio.CancelScope(shield=True):
            await target.close(offset)
        raise
    await target.close(offset + written)
    return written


def advance(session: Session, upload: UploadSession, offset: int, written: int) -> None:
    """Record the new offset iff nobody else moved it (compare-and-set)."""
    result = session.execute(
        update(UploadSession)
        .where(UploadSession.id == upload.id, UploadSession.received == offset)
        .values(received=offset + written, updated_at=session_now(session))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult has rowcount
        session.rollback()
        raise Conflict("the upload offset moved while this chunk was written; retry")
    session.commit()
    upload.received = offset + written


def expire_idle_uploads(session: Session, settings: Settings) -> int:
    """Expire open sessions idle longer than ``upload_idle_hours``; delete their files."""
    cutoff = session_now(session) - timedelta(hours=settings.upload_idle_hours)
    expired = 0
    for upload in session.scalars(
        select(UploadSession).where(UploadSession.status == UploadStatus.OPEN)
    ):
        if upload.updated_at < cutoff:
            upload.status = UploadStatus.EXPIRED
            upload.failure = f"no chunk for {settings.upload_idle_hours:g} hours; start again"
            discard_temp_file(settings, upload.id)
            expired += 1
    return expired


def check_capacity(session: Session, settings: Settings, member_id: str, size: int) -> None:
    """Refuse a new session beyond the per-member limit or the free disk space."""
    open_sessions = select(func.count()).where(
        UploadSession.member_id == member_id, UploadSession.status == UploadStatus.OPEN
    )
    if (session.scalar(open_sessions) or 0) >= settings.max_open_uploads:
        raise Conflict(
            f"you have {settings.max_open_uploads} open uploads; complete or abort one first"
        )
    free = shutil.disk_usage(settings.tmp_dir).free
    if size > free - settings.disk_reserve_bytes:
        raise InsufficientStorage(f"the server has no room for a file of {size} bytes now")


def _resume_after_restart(settings: Settings, upload: UploadSession) -> int:
    """Keep ``upload`` resumable: cut its temp file back to the last recorded chunk.

    Returns 1 if it had to be expired instead (its temp file is gone: a publish was cut
    short between the rename and the commit, and its file was removed as an orphan).
    """
    path = temp_path(settings, upload.id)
    if not path.is_file() or path.stat().st_size < upload.received:
        upload.status = UploadStatus.EXPIRED
        upload.failure = "the server restarted while publishing this upload; upload it again"
        return 1
    with path.open("r+b") as handle:
        handle.truncate(upload.received)
    upload.status = UploadStatus.OPEN  # a completion cut short by the restart is retried
    return 0


def _remove_orphans(settings: Settings, session: Session, keep: set[Path]) -> int:
    removed = 0
    if settings.tmp_dir.exists():
        for leftover in settings.tmp_dir.iterdir():
            if leftover.is_file() and leftover not in keep:
                leftover.unlink()
                removed += 1
    published = {settings.data_dir / p for p in session.scalars(select(DatasetVersion.path))}
    if settings.datasets_dir.exists():
        for path in settings.datasets_dir.rglob("*"):
            if path.is_file() and path not in published:
                path.unlink()
                removed += 1
    return removed


def recover_storage(session: Session, settings: Settings) -> dict[str, int]:
    """On start: unfinished sessions resume at their last recorded chunk (or expire when
    their file is gone); temp files of no session and orphan dataset files are deleted."""
    unfinished = UploadSession.status.in_((UploadStatus.OPEN, UploadStatus.VALIDATING))
    uploads = list(session.scalars(select(UploadSession).where(unfinished)))
    expired = sum(_resume_after_restart(settings, upload) for upload in uploads)
    session.commit()
    keep = {temp_path(settings, u.id) for u in uploads if u.status == UploadStatus.OPEN}
    removed = _remove_orphans(settings, session, keep)
    return {
        "resumed_sessions": len(uploads) - expired,
        "expired_sessions": expired,
        "removed_files": removed,
    }


def open_for_serving(settings: Settings) -> Storage:
    """Lock and open the data dir, then clean up after a crash: the server's start-up."""
    storage = open_exclusive(settings)
    with storage.sessionmaker() as session:
        recover_storage(session, settings)
    return storage
