"""Upload sessions on disk: temp files under ``DATA_DIR/tmp``, written chunk by chunk.

A chunk is streamed straight to the temp file at its offset while the SHA-256 of the
file so far is carried forward (:class:`RunningDigest`, one pass over every byte): the
chunk is checked against ``X-Received-SHA256`` (the digest of everything stored once the
chunk is: the agent's header) or ``X-Chunk-SHA256`` (the chunk's own digest, a second
pass), and ``complete`` reads the whole-file digest off the running one instead of
reading the file again. The body's pieces are handed to a writer thread a buffer at a
time, uncopied, and written and hashed there while the event loop receives the next
buffer. On a checksum mismatch, an oversize body or a client that
disconnects, the file is truncated back to the offset and the digest kept from before
the chunk, so the session stays consistent and resumable. The running digests live in
the server's memory (:class:`InFlight`); after a restart the first chunk or ``complete``
hashes the stored prefix once. Nothing here is visible as a dataset until
:mod:`cleanroom.uploads.publish` renames the file.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import threading
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
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
from cleanroom.storage.dataset_files import prepared_sibling
from cleanroom.storage.models import DatasetVersion, UploadSession, UploadStatus
from cleanroom.uploads.streaming import StreamingCheck, check_whole_file

log = logging.getLogger("cleanroom")


def temp_path(settings: Settings, upload_id: str) -> Path:
    return settings.tmp_dir / f"{upload_id}.part"


def footer_path(settings: Settings, upload_id: str) -> Path:
    """Where the footer an upload sent first is kept (:mod:`cleanroom.uploads.streaming`)."""
    return settings.tmp_dir / f"{upload_id}.footer"


def save_footer(settings: Settings, upload_id: str, footer: bytes) -> None:
    path = footer_path(settings, upload_id)
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(footer)


def create_temp_file(settings: Settings, upload_id: str) -> Path:
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    path = temp_path(settings, upload_id)
    path.touch(mode=0o600, exist_ok=False)
    return path


def discard_temp_file(settings: Settings, upload_id: str) -> None:
    temp_path(settings, upload_id).unlink(missing_ok=True)
    footer_path(settings, upload_id).unlink(missing_ok=True)


class UploadLocks:
    """One chunk at a time per upload session (single server process)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def get(self, upload_id: str) -> asyncio.Lock:
        return self._locks.setdefault(upload_id, asyncio.Lock())

    def drop(self, upload_id: str) -> None:
        self._locks.pop(upload_id, None)


class RunningDigest:
    """The SHA-256 of an upload's first ``offset`` bytes, carried forward chunk by chunk."""

    def __init__(self, offset: int = 0, hasher: hashlib._Hash | None = None) -> None:
        self.offset = offset
        self.hasher = hasher or hashlib.sha256()

    @classmethod
    def of_prefix(cls, path: Path, offset: int) -> RunningDigest:
        """Hash the first ``offset`` stored bytes (after a restart, or a lost chunk)."""
        hasher = hashlib.sha256()
        with path.open("rb") as handle:
            left = offset
            while left:
                block = handle.read(min(left, 8 * 1024 * 1024))
                if not block:
                    break
                hasher.update(block)
                left -= len(block)
        return cls(offset - left, hasher)

    def copy(self) -> RunningDigest:
        return RunningDigest(self.offset, self.hasher.copy())

    def hexdigest(self) -> str:
        return self.hasher.hexdigest()


@dataclass
class Receiving:
    """What the server works out about one open upload while its chunks arrive."""

    digest: RunningDigest
    check: StreamingCheck | None = None
    flushed: int = 0  # the offset up to which a background flush was asked for


#: Stored bytes between two background flushes of an upload (each one a journal commit).
FLUSH_EVERY = 128 * 1024 * 1024


class InFlight:
    """The running digest and streaming check of each open upload (one server process).

    Row groups are scanned by one worker thread shared by all uploads, so a scan never
    holds up a chunk's reply, and at most one core is spent scanning at a time. Another
    thread flushes the stored chunks to disk (``fdatasync`` every :data:`FLUSH_EVERY`
    bytes) while the next ones arrive, so the fsync before publish finds the file
    written already instead of a GiB of dirty pages (0.4 s of ``complete`` for a 1 GiB
    file here). Durability does not change:
    publish still fsyncs, and a restart still resumes at the last recorded chunk.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._uploads: dict[str, Receiving] = {}
        self._scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-scan")
        self._flusher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-flush")
        self._flush_queued: set[str] = set()
        self._flush_lock = threading.Lock()

    def digest_at(self, upload: UploadSession, offset: int) -> RunningDigest:
        """The digest of the first ``offset`` bytes (hashing them only if not known)."""
        known = self._uploads.get(upload.id)
        if known is not None and known.digest.offset == offset:
            return known.digest
        digest = RunningDigest.of_prefix(temp_path(self._settings, upload.id), offset)
        self._receiving(upload).digest = digest
        return digest

    def stored(self, upload: UploadSession, digest: RunningDigest) -> None:
        """A chunk was recorded: keep its digest and scan what it completed, in the background."""
        receiving = self._receiving(upload)
        receiving.digest = digest
        if receiving.check is not None:
            self._scanner.submit(receiving.check.advance, digest.offset)
        if digest.offset - receiving.flushed >= FLUSH_EVERY:
            receiving.flushed = digest.offset
            self._flush_soon(upload.id)

    def _flush_soon(self, upload_id: str) -> None:
        """Flush the upload's temp file in the background (once, however many chunks
        are stored meanwhile: the flush takes them all)."""
        with self._flush_lock:
            if upload_id in self._flush_queued:
                return
            self._flush_queued.add(upload_id)
        self._flusher.submit(self._flush, upload_id)

    def _flush(self, upload_id: str) -> None:
        with self._flush_lock:
            self._flush_queued.discard(upload_id)  # a chunk stored from now on queues again
        try:
            handle = os.open(temp_path(self._settings, upload_id), os.O_RDONLY)
        except FileNotFoundError:
            return  # published (renamed), aborted or expired meanwhile
        try:
            os.fdatasync(handle)
        except OSError:
            log.warning("background flush of upload %s failed; publish will fsync", upload_id)
        finally:
            os.close(handle)

    def check(self, upload: UploadSession) -> StreamingCheck:
        """The upload's streaming check, rebuilt after a restart; a whole-file one when no
        footer was sent first. Call once every byte is stored."""
        receiving = self._receiving(upload)
        if receiving.check is None:
            receiving.check = check_whole_file(temp_path(self._settings, upload.id))
        return receiving.check

    def __contains__(self, upload_id: object) -> bool:
        """Whether a digest or check of ``upload_id`` is held in memory."""
        return upload_id in self._uploads

    def drop(self, upload_id: str) -> None:
        receiving = self._uploads.pop(upload_id, None)
        if receiving is not None and receiving.check is not None:
            receiving.check.close()

    def _receiving(self, upload: UploadSession) -> Receiving:
        known = self._uploads.get(upload.id)
        if known is None:
            known = Receiving(RunningDigest(-1), self._footer_check(upload))
            self._uploads[upload.id] = known
        return known

    def _footer_check(self, upload: UploadSession) -> StreamingCheck | None:
        path = footer_path(self._settings, upload.id)
        if not path.is_file():
            return None
        check = StreamingCheck(temp_path(self._settings, upload.id), path.read_bytes(), upload.size)
        self._scanner.submit(check.advance, upload.received)
        return check

    def close(self) -> None:
        self._scanner.shutdown(wait=True, cancel_futures=True)
        self._flusher.shutdown(wait=True, cancel_futures=True)


#: Bytes gathered from the request before one write (and hash update) in a worker thread.
WRITE_BUFFER = 4 * 1024 * 1024
#: The threads that write and hash chunk bytes (one write in flight per chunk being sent).
_WRITERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="upload-write")


def _open_at(path: Path, offset: int) -> BinaryIO:
    handle = path.open("r+b")
    handle.seek(offset)
    return handle


@dataclass(frozen=True)
class ChunkSums:
    """What a chunk must hash to: ``received`` is the SHA-256 of the file's first
    ``offset + len(chunk)`` bytes, ``chunk`` that of the chunk alone (at least one)."""

    received: str | None = None
    chunk: str | None = None


class _ChunkFile:
    """An open temp file taking one chunk; every blocking call runs in a worker thread.

    The body's pieces are gathered as they arrive (never copied) and handed to a writer
    thread a buffer at a time, which hashes and writes them while the event loop gathers
    the next buffer; at most one write is in flight, so the bytes land in order.
    """

    def __init__(self, handle: BinaryIO, running: RunningDigest, own_digest: bool) -> None:
        self.handle = handle
        self.running = running
        self.digest = hashlib.sha256() if own_digest else None
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.writing: Future[None] | None = None

    def _write(self, pieces: list[bytes]) -> None:
        for piece in pieces:
            self.running.hasher.update(piece)
            if self.digest is not None:
                self.digest.update(piece)
        self.handle.writelines(pieces)

    def _close(self, end: int) -> None:
        """Once the write in flight (if any) is done or called off: cut the file at ``end``."""
        if self.writing is not None and not self.writing.cancel():
            wait([self.writing])
        with self.handle:
            self.handle.truncate(end)

    async def add(self, piece: bytes) -> None:
        self.pending.append(piece)
        self.pending_bytes += len(piece)
        if self.pending_bytes >= WRITE_BUFFER:
            await self._hand_off()

    async def _hand_off(self) -> None:
        await self._written()
        pieces, self.pending, self.pending_bytes = self.pending, [], 0
        self.writing = _WRITERS.submit(self._write, pieces)

    async def _written(self) -> None:
        """Wait for the write in flight; raises what it raised (a full disk)."""
        if self.writing is not None:
            await asyncio.wrap_future(self.writing)
            self.writing = None

    async def flush(self) -> None:
        if self.pending:
            await self._hand_off()
        await self._written()

    async def close(self, end: int) -> None:
        await anyio.to_thread.run_sync(self._close, end)

    def mismatch(self, sums: ChunkSums) -> bool:
        if sums.received is not None and self.running.hexdigest() != sums.received:
            return True
        return self.digest is not None and self.digest.hexdigest() != sums.chunk


async def write_chunk(
    path: Path,
    body: AsyncIterator[bytes],
    limit: int,
    sums: ChunkSums,
    before: RunningDigest,
) -> RunningDigest:
    """Stream ``body`` into ``path`` at ``before.offset``; the digest after it, or raises
    (and ``before`` is left as it was).

    The event loop only gathers the body; file writes and hashing run in worker threads.
    """
    offset = before.offset
    running = before.copy()
    handle = await anyio.to_thread.run_sync(_open_at, path, offset)
    target = _ChunkFile(handle, running, own_digest=sums.chunk is not None)
    try:
        async for piece in body:
            running.offset += len(piece)
            if running.offset - offset > limit:
                raise PayloadTooLarge(
                    f"chunk exceeds the {limit} bytes left in this upload or the chunk limit"
                )
            await target.add(piece)
        await target.flush()
        if target.mismatch(sums):
            header = "X-Received-SHA256" if sums.received is not None else "X-Chunk-SHA256"
            raise ChunkChecksumMismatch(
                f"chunk at offset {offset} ({running.offset - offset} bytes) does not match "
                f"{header}"
            )
    except BaseException:
        with anyio.CancelScope(shield=True):
            await target.close(offset)
        raise
    await target.close(running.offset)
    return running


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


def expire_idle_uploads(session: Session, settings: Settings) -> list[str]:
    """Expire open sessions idle longer than ``upload_idle_hours``; delete their files.
    The ids expired (the caller drops their digests and checks from :class:`InFlight`)."""
    cutoff = session_now(session) - timedelta(hours=settings.upload_idle_hours)
    expired = []
    for upload in session.scalars(
        select(UploadSession).where(UploadSession.status == UploadStatus.OPEN)
    ):
        if upload.updated_at < cutoff:
            upload.status = UploadStatus.EXPIRED
            upload.failure = f"no chunk for {settings.upload_idle_hours:g} hours; start again"
            discard_temp_file(settings, upload.id)
            expired.append(upload.id)
    return expired


def check_capacity(
    session: Session, settings: Settings, member_id: str, size: int, preparing: int = 0
) -> None:
    """Refuse a new session beyond the per-member limit or the free disk space, less the
    reserve and the ``preparing`` bytes the background preparations may still take
    (:meth:`cleanroom.uploads.preparer.Preparer.reserved_bytes`)."""
    open_sessions = select(func.count()).where(
        UploadSession.member_id == member_id, UploadSession.status == UploadStatus.OPEN
    )
    if (session.scalar(open_sessions) or 0) >= settings.max_open_uploads:
        raise Conflict(
            f"you have {settings.max_open_uploads} open uploads; complete or abort one first"
        )
    free = shutil.disk_usage(settings.tmp_dir).free
    if size > free - settings.disk_reserve_bytes - preparing:
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


def published_files(session: Session, settings: Settings) -> list[Path]:
    """The file of every published version, oldest first."""
    paths = session.scalars(select(DatasetVersion.path).order_by(DatasetVersion.id))
    return [settings.data_dir / p for p in paths]


def _remove_orphans(settings: Settings, session: Session, keep: set[Path]) -> int:
    removed = 0
    if settings.tmp_dir.exists():
        for leftover in settings.tmp_dir.iterdir():
            if leftover.is_file() and leftover not in keep:
                leftover.unlink()
                removed += 1
    published = set(published_files(session, settings))
    published |= {prepared_sibling(p) for p in published}
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
    still_open = [u.id for u in uploads if u.status == UploadStatus.OPEN]
    keep = {temp_path(settings, u) for u in still_open}
    keep |= {footer_path(settings, u) for u in still_open}
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
