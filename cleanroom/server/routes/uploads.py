"""Resumable dataset uploads: create a session, PUT chunks, complete (validate + publish).

POST /v1/collaborations/{c}/uploads              {dataset, kind, size, sha256?, footer?}
PUT  /v1/collaborations/{c}/uploads/{u}?offset=N body = bytes, X-Received-SHA256 (digest
                                                 of bytes 0..N+len) or X-Chunk-SHA256
GET  /v1/collaborations/{c}/uploads              -> the caller's unfinished sessions
GET  /v1/collaborations/{c}/uploads/{u}          -> received (resume point), or
                                                    the version it published
POST /v1/collaborations/{c}/uploads/{u}/complete {sha256?} -> dataset version (new or
                                                    unchanged)
DELETE /v1/collaborations/{c}/uploads/{u}        abort

The whole-file SHA-256 is declared once, at create (a client that hashed first) or at
complete (the agent, which hashes while it sends); the server carries its own digest
forward as chunks arrive and compares. A ``footer`` (the file's last bytes) sent at
create lets the server validate row groups while the chunks arrive
(:mod:`cleanroom.uploads.streaming`).
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cleanroom.errors import (
    BadRequest,
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
from cleanroom.server.deps import PreparerDep, Scope, ScopeDep, SessionDep, SettingsDep
from cleanroom.server.routes.datasets import version_public
from cleanroom.server.schemas import (
    DatasetVersionPublic,
    UploadComplete,
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
    ChunkSums,
    InFlight,
    advance,
    check_capacity,
    create_temp_file,
    discard_temp_file,
    expire_idle_uploads,
    save_footer,
    temp_path,
    write_chunk,
)
from cleanroom.uploads.streaming import MAX_FOOTER_BYTES
from cleanroom.uploads.validation import Expected
from protocols import DatasetKind

router = APIRouter(prefix="/v1/collaborations/{collaboration_id}/uploads", tags=["uploads"])
_HEX64 = r"^[0-9a-f]{64}$"
ChunkSha = Annotated[str | None, Header(alias="X-Chunk-SHA256", pattern=_HEX64)]
ReceivedSha = Annotated[str | None, Header(alias="X-Received-SHA256", pattern=_HEX64)]


def in_flight(request: Request) -> InFlight:
    uploads: InFlight = request.app.state.uploads_in_flight
    return uploads


def _footer_bytes(body: UploadCreate) -> bytes | None:
    if body.footer is None:
        return None
    try:
        footer = base64.b64decode(body.footer, validate=True)
    except ValueError:  # binascii.Error, and a str with non-ASCII characters
        raise BadRequest("footer must be base64 (standard alphabet, padded)") from None
    if len(footer) > min(MAX_FOOTER_BYTES, body.size):
        raise PayloadTooLarge(f"a footer of {len(footer)} bytes is longer than allowed")
    return footer


def upload_public(
    upload: UploadSession, settings: Settings, published: DatasetVersionPublic | None = None
) -> UploadPublic:
    return UploadPublic(
        id=upload.id,
        collaboration_id=upload.collaboration_id,
        dataset=upload.dataset,
        kind=upload.kind,
        size=upload.size,
        sha256=upload.sha256 or None,
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
    body: UploadCreate,
    request: Request,
    scope: ScopeDep,
    session: SessionDep,
    settings: SettingsDep,
    preparer: PreparerDep,
) -> UploadPublic:
    """Open an upload session for a file of ``size`` bytes. party_admin.

    ``sha256`` (the whole file's) may be given here or at complete; ``footer`` (base64 of
    the file's last bytes: the Parquet footer, its length and magic) lets the server
    validate the file's row groups while they arrive."""
    scope.principal.require(Role.PARTY_ADMIN)
    if body.size > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"file of {body.size} bytes exceeds the server limit of {settings.max_upload_bytes}"
        )
    member_id = scope.principal.member_id
    if member_id is None:
        raise Conflict("only members upload datasets")
    for expired in expire_idle_uploads(session, settings):
        in_flight(request).drop(expired)
    check_capacity(session, settings, member_id, body.size, preparer.reserved_bytes())
    upload = UploadSession(
        id=new_id("upl"),
        collaboration_id=scope.id,
        member_id=member_id,
        dataset=body.dataset,
        kind=body.kind.value,
        size=body.size,
        sha256=body.sha256 or "",  # "": declared at complete
        received=0,
        status=UploadStatus.OPEN,
    )
    footer = _footer_bytes(body)
    dataset_for_upload(session, upload)
    session.add(upload)
    create_temp_file(settings, upload.id)
    if footer is not None:
        save_footer(settings, upload.id, footer)
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
    offset: Annotated[int, Query(ge=0)],
    received_sha256: ReceivedSha = None,
    chunk_sha256: ChunkSha = None,
) -> UploadPublic:
    """Append one chunk at ``offset`` (must equal ``received``); streamed, never buffered.

    ``X-Received-SHA256`` is the SHA-256 of the file's bytes up to the chunk's end (so the
    last chunk's is the whole file's), or ``X-Chunk-SHA256`` that of the chunk alone.
    The only ``async`` route, so it can read the body as it arrives: its database calls
    and file writes run in worker threads, never on the event loop.
    """
    scope.principal.require(Role.PARTY_ADMIN)
    if received_sha256 is None and chunk_sha256 is None:
        raise BadRequest("send X-Received-SHA256 or X-Chunk-SHA256 with every chunk")
    sums = ChunkSums(received=received_sha256, chunk=chunk_sha256)
    lock = request.app.state.upload_locks.get(upload_id)
    if lock.locked():
        raise Conflict("another chunk of this upload is being written; retry")
    uploads = in_flight(request)
    async with lock:
        upload, limit = await run_in_threadpool(
            _chunk_limit, session, scope, settings, upload_id, offset
        )
        path = temp_path(settings, upload.id)
        before = await run_in_threadpool(uploads.digest_at, upload, offset)
        after = await write_chunk(path, request.stream(), limit, sums, before)
        await run_in_threadpool(advance, session, upload, offset, after.offset - offset)
        uploads.stored(upload, after)
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


def _declared_sha256(upload: UploadSession, body: UploadComplete | None) -> str:
    given = body.sha256 if body is not None else None
    if given is not None and upload.sha256 and given != upload.sha256:
        raise Conflict("the SHA-256 given at complete differs from the one given at create")
    declared = given or upload.sha256
    if not declared:
        raise Conflict("declare the file's SHA-256, at create or in the body of complete")
    return declared


@router.post("/{upload_id}/complete")
def complete_upload(
    upload_id: str,
    request: Request,
    scope: ScopeDep,
    session: SessionDep,
    settings: SettingsDep,
    preparer: PreparerDep,
    body: Annotated[UploadComplete | None, Body()] = None,
) -> UploadCompletePublic:
    """Verify the whole-file checksum, validate, and publish atomically as a new version.

    The checksum is the one the server carried forward as the chunks arrived, and the
    row groups were scanned then if a footer came first, so this step finishes the work;
    preparing the version for queries (sorting, user columns) follows in the background.
    Bytes identical to the dataset's newest version publish nothing: the reply is that
    version with `published: false` (queries keep their cache key, repeats stay free).
    """
    scope.principal.require(Role.PARTY_ADMIN)
    upload = get_upload(session, scope, upload_id)
    require_open(upload)
    if upload.received != upload.size:
        raise Conflict(f"upload incomplete: {upload.received} of {upload.size} bytes received")
    declared = _declared_sha256(upload, body)
    claim(session, upload)
    actor, uploads = scope.principal.actor, in_flight(request)
    try:
        if uploads.digest_at(upload, upload.size).hexdigest() != declared:
            raise ChecksumMismatch("the file's SHA-256 does not match the one declared")
        upload.sha256 = declared
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
        checked = uploads.check(upload).finish(kind, expected)
        version, new = publish_unless_unchanged(session, settings, upload, checked, actor)
        discard_temp_file(settings, upload.id)  # the footer sent first (the file is renamed)
        if new:  # queries read it as uploaded until its prepared sibling is written
            preparer.schedule([settings.data_dir / version.path])
    except (DatasetRejected, Conflict) as error:
        _fail(session, settings, upload, actor, error)
        raise
    except Exception:
        bug = InternalError("the server failed while validating this upload (a bug)")
        _fail(session, settings, upload, actor, bug)
        raise
    finally:
        uploads.drop(upload.id)
    return completed(upload, version, published=new)


def completed(
    upload: UploadSession, version: DatasetVersion, *, published: bool
) -> UploadCompletePublic:
    public = version_public(upload.dataset, upload.kind, version)
    return UploadCompletePublic(**public.model_dump(), published=published)


@router.delete("/{upload_id}", status_code=status.HTTP_204_NO_CONTENT)
def abort_upload(
    upload_id: str, request: Request, scope: ScopeDep, session: SessionDep, settings: SettingsDep
) -> None:
    """Abandon an open upload and delete its temp file."""
    scope.principal.require(Role.PARTY_ADMIN)
    upload = get_upload(session, scope, upload_id)
    require_open(upload)
    claim(session, upload, UploadStatus.ABORTED)
    in_flight(request).drop(upload.id)
    discard_temp_file(settings, upload.id)
