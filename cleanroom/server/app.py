"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from cleanroom.server.admission import Admission
from cleanroom.server.problems import document_problems, install_handlers
from cleanroom.server.routes import (
    audit,
    blinding,
    collaborations,
    datasets,
    health,
    match_keys,
    members,
    policies,
    queries,
    roster,
    uploads,
)
from cleanroom.settings import Settings
from cleanroom.storage.bootstrap import Storage
from cleanroom.uploads.preparer import Preparer
from cleanroom.uploads.sessions import InFlight, UploadLocks, open_for_serving, published_files

ROUTERS = (
    health,
    collaborations,
    members,
    match_keys,
    roster,
    policies,
    uploads,
    blinding,
    datasets,
    audit,
    queries,
)


def create_app(settings: Settings, storage: Storage | None = None) -> FastAPI:
    """Build the app; storage is opened here (and recovered) unless the caller passes one."""
    opened = storage or open_for_serving(settings)
    preparer, uploads = Preparer(settings.data_dir, settings.disk_reserve_bytes), InFlight(settings)
    with opened.sessionmaker() as session:  # versions a stopped server had not prepared
        preparer.schedule(published_files(session, settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # a thread for every admitted request, plus spares for the dependencies' hand-offs
        threads = anyio.to_thread.current_default_thread_limiter()
        threads.total_tokens = max(threads.total_tokens, settings.max_concurrent_requests + 8)
        yield
        preparer.close()
        uploads.close()
        opened.close()

    app = FastAPI(
        title="Clean room",
        version="0.1.0",
        summary="Privacy-preserving clean room: tokens in, policy-checked aggregates out.",
        lifespan=lifespan,
        docs_url=None,  # Swagger/ReDoc pages load scripts from a CDN; /openapi.json suffices
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = opened.engine
    app.state.sessionmaker = opened.sessionmaker
    app.state.signing_key = opened.signing_key
    app.state.clock = opened.clock
    app.state.upload_locks = UploadLocks()
    app.state.uploads_in_flight = uploads
    app.state.preparer = preparer
    app.add_middleware(
        Admission, limit=settings.max_concurrent_requests, wait_seconds=settings.busy_wait_seconds
    )
    install_handlers(app)
    document_problems(app)
    for module in ROUTERS:
        app.include_router(module.router)
    return app
