"""Resumable dataset uploads: create a session, PUT chunks, complete (validate + publish).

POST /v1/collaborations/{c}/uploads                     {dataset, kind, size, sha256}
PUT  /v1/collaborations/{c}/uploads/{u}?offset=N        body = bytes, X-Chunk-SHA256
GET  /v1/collaborations/{c}/uploads                     -> the caller's unfinished sessions
GET  /v1/collaborations/{c}/uploads/{u}                 -> received (resume point), or
                                                           the version it published
POST /v1/collaborations/{c}/uploads/{u}/complete        -> dataset version (new or unchanged)
DELETE /v1/collaborations/{c}/uploads/{u}               abort
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cleanroom.errors import (
    ChecksumMismatch,
    Conflict,
    DatasetRejected,
    InternalError,
    NotFound,
    PayloadTooLarge,
    UploadNotOpen,
    UploadOffsetMismatch,
)
from cleanroom.policy.store import allowed_dimensions, matching_protocol
from cleanroom.server.deps import Scope, ScopeDep, SessionDep, SettingsDep
from cleanroom.server.routes.datasets import version_public
from cleanroom.server.schemas import (
    DatasetVersionPublic,
    UploadCompletePublic,
    UploadCreate,
    UploadPublic,
)
from cleanroom.settings import Settings
from cleanroom.storage.models import DatasetVersion, Role, UploadSession, UploadStatus, new_id
from cleanroom.uploads.binding import registered_key_checks
from cleanroom.uploads.publish import (
    audit_upload,
    current_version,
    dataset_for_upload,
    keep_current,
    publish_unless_unchanged,
    published_version,
)
from cleanroom.uploads.sessions import (
    advance,
    check_capacity,
    create_temp_file,
    discard_temp_file,
    expire_idle_uploads,
    temp_path,
    write_chunk,
)
from cleanroom.uploads.validation import Expected, validate_dataset
from protocols import DatasetKind, file_sha256

router = APIRouter(prefix="/v1/collaborations/{collaboration_id}/uploads", tags=["uploads"])
ChunkSha = Annotated[str, Header(alias="X-Chunk-SHA256", pattern=r"^[0-9a-f]{64}$")]


def upload_public(
    upload: UploadSession, settings: Settings, published: DatasetVersionPublic | None = None
) -> UploadPublic:
    return UploadPublic(
        id=upload.id,
        collaboration_id=upload.collaboration_id,
        dataset=upload.dataset,
        kind=upload.kind,
        size=upload.size,
        sha256=upload.sha256,
        received=upload.received,
        status=upload.status,
        failure=upload.failure,
        max_chunk_bytes=settings.max_chunk_bytes,
        published=published,
    )


def get_upload(session: Session, scope: Scope, upload_id: str) -> UploadSession:
    """An upload of this collaboration started by the caller (no one else's)."""
    upload = session.get(UploadSession, upload_id)
    if upload is None or upload.collaboration_id != scope.id:
        raise NotFound(f"no upload {upload_id!r} in this collaboration")
    if upload.member_id != scope.principal.member_id:
        raise NotFound(f"no upload {upload_id!r} started by you")
    return upload


def require_open(upload: UploadSession) -> None:
    if upload.status is not UploadStatus.OPEN:
        reason = f": {upload.failure}" if upload.failure else ""
        raise UploadNotOpen(f"upload {upload.id} is {upload.status}{reason}")


@router.post("", status_code=status.HTTP_201_CREATED)
def create_upload(
    body: UploadCreate, scope: ScopeDep, session: SessionDep, settings: SettingsDep
) -> UploadPublic:
    """Open an upload session for a file of ``size`` bytes and ``sha256``. party_admin."""
    scope.principal.require(Role.PARTY_ADMIN)
    if body.size > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"file of {body.size} bytes exceeds the server limit of {settings.max_upload_bytes}"
        )
    member_id = scope.principal.member_id
    if member_id is None:
        raise Conflict("only members upload datasets")
    expire_idle_uploads(session, settings)
    check_capacity(session, settings, member_id, body.size)
    upload = UploadSession(
        id=new_id("upl"),
        collaboration_id=scope.id,
        member_id=member_id,
        dataset=body.dataset,
        kind=body.kind.value,
        size=body.size,
        sha256=body.sha256,
        received=0,
        status=UploadStatus.OPEN,
    )
    dataset_for_upload(session, upload)
    session.add(upload)
    create_temp_file(settings, upload.id)
    session.commit()
    return upload_public(upload, settings)


@router.get("")
def list_uploads(scope: ScopeDep, session: SessionDep, settings: SettingsDep) -> list[UploadPublic]:
    """The caller's unfinished upload sessions (open or validating), oldest first."""
    scope.principal.require(Role.PARTY_ADMIN)
    return [upload_public(u, settings) for u in unfinished_uploads(session, scope)]


def unfinished_uploads(session: Session, scope: Scope) -> list[UploadSession]:
    query = select(UploadSession).where(
        UploadSession.collaboration_id == scope.id,
        UploadSession.member_id == scope.principal.member_id,
        UploadSession.status.in_((UploadStatus.OPEN, UploadStatus.VALIDATING)),
    )
    return list(session.scalars(query.order_by(UploadSession.created_at)))


@router.get("/{upload_id}")
def get_upload_status(
    upload_id: str, scope: ScopeDep, session: SessionDep, settings: SettingsDep
) -> UploadPublic:
    """The resume point (``received`` bytes are stored; send the next chunk from there),
    or, once complete, the version the upload published (a lost reply is not lost)."""
    scope.principal.require(Role.PARTY_ADMIN)
    upload = get_upload(session, scope, upload_id)
    published = None
    if upload.status is UploadStatus.COMPLETE:
        version = published_version(session, upload)
        published = version_public(upload.dataset, upload.kind, version) if version else None
    return upload_public(upload, settings, published)


def _chunk_limit(
    session: Session, scope: Scope, settings: Settings, upload_id: str, offset: int
) -> tuple[UploadSession, int]:
    """The open upload and how many bytes this chunk may carry; no transaction stays open."""
    upload = get_upload(session, scope, upload_id)
    session.refresh(upload)
    try:
        require_open(upload)
        if offset != upload.received:
            raise UploadOffsetMismatch(
                f"chunk offset {offset} does not match the {upload.received} bytes received",
                received=upload.received,
            )
        return upload, min(upload.size - offset, settings.max_chunk_bytes)
    finally:
        session.commit()  # nothing held while the body streams in


@router.put(
    "/{upload_id}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The chunk's bytes, starting at `offset`; at most max_chunk_bytes",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_chunk(
    upload_id: str,
    request: Request,
    scope: ScopeDep,
    session: SessionDep,
    settings: SettingsDep,
    chunk_sha256: ChunkSha,
    offset: Annotated[int, Query(ge=0)],
) -> UploadPublic:
    """Append one chunk at ``offset`` (must equal ``received``); streamed, never buffered.

    The only ``async`` route, so it can read the body as it arrives: its database calls
    and file writes run in worker threads, never on the event loop.
    """
    scope.principal.require(Role.PARTY_ADMIN)
    lock = request.app.state.upload_locks.get(upload_id)
    if lock.locked():
        raise Conflict("another chunk of this upload is being written; retry")
    async with lock:
        upload, limit = await run_in_threadpool(
            _chunk_limit, session, scope, settings, upload_id, offset
        )
        path = temp_path(settings, upload.id)
        written = await write_chunk(path, offset, request.stream(), limit, chunk_sha256)
        await run_in_threadpool(advance, session, upload, offset, written)
    return upload_public(upload, settings)


def claim(
    session: Session, upload: UploadSession, status: UploadStatus = UploadStatus.VALIDATING
) -> None:
    """Move the session from ``open`` to ``status`` so only one completion or abort runs."""
    result = session.execute(
        update(UploadSession)
        .where(UploadSession.id == upload.id, UploadSession.status == UploadStatus.OPEN)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult has rowcount
        session.rollback()
        session.refresh(upload)
        require_open(upload)
        raise UploadNotOpen(f"upload {upload.id} changed state meanwhile; retry")
    session.commit()
    upload.status = status


def _fail(
    session: Session, settings: Settings, upload: UploadSession, actor: str, error: Exception
) -> None:
    session.rollback()
    upload = session.get(UploadSession, upload.id) or upload
    upload.status = UploadStatus.FAILED
    upload.failure = str(error)
    discard_temp_file(settings, upload.id)
    audit_upload(
        session, actor, "dataset.reject", upload, reason=type(error).__name__, detail=str(error)
    )
    session.commit()


@router.post("/{upload_id}/complete")
def complete_upload(
    upload_id: str, scope: ScopeDep, session: SessionDep, settings: SettingsDep
) -> UploadCompletePublic:
    """Verify the whole-file checksum, validate, and publish atomically as a new version.

    Bytes identical to the dataset's newest version publish nothing: the reply is that
    version with `published: false` (queries keep their cache key, repeats stay free).
    """
    scope.principal.require(Role.PARTY_ADMIN)
    upload = get_upload(session, scope, upload_id)
    require_open(upload)
    if upload.received != upload.size:
        raise Conflict(f"upload incomplete: {upload.received} of {upload.size} bytes received")
    claim(session, upload)
    actor = scope.principal.actor
    try:
        path = temp_path(settings, upload.id)
        if file_sha256(path) != upload.sha256:
            raise ChecksumMismatch("the file's SHA-256 does not match the one declared")
        current = current_version(session, upload)
        if current is not None and current.sha256 == upload.sha256:
            kept = keep_current(session, settings, upload, current, actor)
            return completed(upload, kept, published=False)
        kind = DatasetKind(upload.kind)
        expected = Expected(
            scope.id,
            registered_key_checks(session, scope.id),
            allowed_dimensions(session, scope.id, kind),
            matching_protocol(session, scope.id),
        )
        session.commit()  # no transaction (or pooled connection) held while the file is read
        checked = validate_dataset(path, kind, expected)
        version, new = publish_unless_unchanged(session, settings, upload, checked, actor)
    except (DatasetRejected, Conflict) as error:
        _fail(session, settings, upload, actor, error)
        raise
    except Exception:
        bug = InternalError("the server failed while validating this upload (a bug)")
        _fail(session, settings, upload, actor, bug)
        raise
    return completed(upload, version, published=new)


def completed(
    upload: UploadSession, version: DatasetVersion, *, published: bool
) -> UploadCompletePublic:
    public = version_public(upload.dataset, upload.kind, version)
    return UploadCompletePublic(**public.model_dump(), published=published)


@router.delete("/{upload_id}", status_code=status.HTTP_204_NO_CONTENT)
def abort_upload(
    upload_id: str, scope: ScopeDep, session: SessionDep, settings: SettingsDep
) -> None:
    """Abandon an open upload and delete its temp file."""
    scope.principal.require(Role.PARTY_ADMIN)
    upload = get_upload(session, scope, upload_id)
    require_open(upload)
    claim(session, upload, UploadStatus.ABORTED)
    discard_temp_file(settings, upload.id)
