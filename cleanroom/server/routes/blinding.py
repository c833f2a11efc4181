"""Protocol v2 relay: the other party's once-blinded points out, twice-blinded back.

POST /v1/collaborations/{c}/blinding/batches              -> the caller's open batches
GET  /v1/collaborations/{c}/blinding/batches/{b}/points?offset=N&limit=M
                                                           -> step-3 relay frame (binary)
PUT  /v1/collaborations/{c}/blinding/batches/{b}/points?offset=N&key_check=K
                                                           body = step-4 reply frame
Only a party_admin of the collaboration, and only for batches addressed to its party.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from cleanroom.blinding import accept_reply, finish_version, open_batches, relay_chunk
from cleanroom.errors import Conflict, NoEffectivePolicy, NotFound, PayloadTooLarge
from cleanroom.policy.store import effective_policy, matching_protocol
from cleanroom.server.blinding_schemas import (
    BlindingBatchesPublic,
    BlindingBatchPublic,
    batch_public,
)
from cleanroom.server.deps import PreparerDep, Scope, ScopeDep, SessionDep, SettingsDep
from cleanroom.settings import Settings
from cleanroom.storage.blinding_tables import BlindingBatch
from cleanroom.storage.models import Member, Role
from cleanroom.uploads.preparer import Preparer
from protocols import PROTOCOL_V2
from protocols.relay import MEDIA_TYPE

router = APIRouter(prefix="/v1/collaborations/{collaboration_id}/blinding", tags=["blinding"])
#: Points per frame: 2 MiB of points, a few seconds of blinding on one core.
MAX_POINTS = 65_536
KeyCheck = Annotated[str, Query(pattern=r"^[0-9a-f]{16}$")]


def _blinder(session: Session, scope: Scope) -> Member:
    scope.principal.require(Role.PARTY_ADMIN)
    member = session.get(Member, scope.principal.member_id or "")
    if member is None:
        raise Conflict("only members blind")
    if effective_policy(session, scope.id) is None:
        raise NoEffectivePolicy("no policy version is approved by every party yet")
    if matching_protocol(session, scope.id) != PROTOCOL_V2:
        raise Conflict("this collaboration's policy matches with protocol v1: nothing to blind")
    return member


def _batch(session: Session, scope: Scope, batch_id: str) -> BlindingBatch:
    batch = session.get(BlindingBatch, batch_id)
    if (
        batch is None
        or batch.collaboration_id != scope.id
        or batch.blinder_id != scope.principal.member_id
    ):
        raise NotFound(f"no batch {batch_id!r} for you in this collaboration")
    return batch


@router.post("/batches")
def list_batches(
    scope: ScopeDep, session: SessionDep, settings: SettingsDep
) -> BlindingBatchesPublic:
    """The other party's once-blinded points this party must blind (new ones relayed)."""
    blinder = _blinder(session, scope)
    batches = open_batches(session, settings, scope.id, blinder, scope.principal.actor)
    return BlindingBatchesPublic(batches=[batch_public(b, MAX_POINTS) for b in batches])


@router.get(
    "/batches/{batch_id}/points",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
def get_points(
    batch_id: str,
    scope: ScopeDep,
    session: SessionDep,
    settings: SettingsDep,
    offset: Annotated[int, Query(ge=0)],
    limit: Annotated[int, Query(ge=1, le=MAX_POINTS)] = MAX_POINTS,
) -> Response:
    """A step-3 relay frame: ``limit`` shuffled points of the batch from ``offset``."""
    _blinder(session, scope)
    batch = _batch(session, scope, batch_id)
    session.commit()
    return Response(relay_chunk(settings, batch, offset, limit), media_type=MEDIA_TYPE)


def _store_reply(
    session: Session,
    settings: Settings,
    scope: Scope,
    batch_id: str,
    data: bytes,
    offset: int,
    key_check: str,
    preparer: Preparer,
) -> BlindingBatchPublic:
    _blinder(session, scope)
    batch = _batch(session, scope, batch_id)
    actor = scope.principal.actor
    done = accept_reply(
        session, settings, batch, data, offset=offset, key_check=key_check, actor=actor
    )
    if done and (blinded := finish_version(session, settings, batch.dataset_version_id, actor)):
        preparer.schedule([blinded])  # the doubly blinded file, prepared for queries
    if done:
        session.refresh(batch)
    return batch_public(batch, MAX_POINTS)


@router.put(
    "/batches/{batch_id}/points",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A step-4 reply frame: the relayed points times the party's scalar",
            "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def put_points(
    batch_id: str,
    request: Request,
    scope: ScopeDep,
    session: SessionDep,
    settings: SettingsDep,
    preparer: PreparerDep,
    offset: Annotated[int, Query(ge=0)],
    key_check: KeyCheck,
) -> BlindingBatchPublic:
    """Return blinded points from ``offset`` (must equal ``received``); every point checked."""
    limit = 64 + 32 * MAX_POINTS + 255
    lock = request.app.state.upload_locks.get(batch_id)  # one server process: one writer
    if lock.locked():
        raise Conflict("another reply to this batch is being stored; retry")
    async with lock:
        data = bytearray()
        async for part in request.stream():
            data += part
            if len(data) > limit:
                raise PayloadTooLarge(f"a reply frame holds at most {MAX_POINTS} points")
        return await run_in_threadpool(
            _store_reply,
            session,
            settings,
            scope,
            batch_id,
            bytes(data),
            offset,
            key_check,
            preparer,
        )
