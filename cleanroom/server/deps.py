"""``Annotated`` dependency aliases shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from cleanroom.errors import UnknownCollaboration
from cleanroom.server.auth import Principal, authenticate
from cleanroom.settings import Settings
from cleanroom.storage.clock import Clock
from cleanroom.storage.models import Collaboration
from cleanroom.uploads.preparer import Preparer


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    """The clock of the app's storage: the one clock of the whole server."""
    clock: Clock = request.app.state.clock
    return clock


def get_preparer(request: Request) -> Preparer:
    """The background worker preparing published versions for queries."""
    preparer: Preparer = request.app.state.preparer
    return preparer


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
PreparerDep = Annotated[Preparer, Depends(get_preparer)]


_bearer = HTTPBearer(auto_error=False, description="API token: crt_...")


def end_read(session: Session) -> None:
    """End the read transaction so the connection goes back to the pool.

    Each sync dependency and the route run in separate thread hand-offs; a connection
    held across a hand-off would wait for a thread while other requests wait for it.
    """
    session.commit()


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    try:
        return authenticate(session, credentials.credentials if credentials else None)
    finally:
        end_read(session)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


@dataclass(frozen=True)
class Scope:
    """A collaboration the caller may see, and the caller."""

    collaboration: Collaboration
    principal: Principal

    @property
    def id(self) -> str:
        return self.collaboration.id


def get_scope(
    collaboration_id: Annotated[str, Path(max_length=40)],
    principal: PrincipalDep,
    session: SessionDep,
) -> Scope:
    principal.require_collaboration(collaboration_id)
    collaboration = session.get(Collaboration, collaboration_id)
    end_read(session)
    if collaboration is None:
        raise UnknownCollaboration("no such collaboration for this token")
    return Scope(collaboration, principal)


ScopeDep = Annotated[Scope, Depends(get_scope)]
