"""Admission control: at most ``max_concurrent_requests`` requests are served at once.

A request beyond that waits up to ``busy_wait_seconds`` for a turn, then gets ``503
server-busy`` with ``Retry-After`` instead of queueing into a client timeout. Because the
database pool holds one connection per admitted request and the thread pool has a thread
for each, an admitted request never waits for a connection or a thread it cannot get.

``/healthz`` is always answered (it touches neither the database nor a thread).
"""

from __future__ import annotations

import asyncio
import math

from starlette.types import ASGIApp, Receive, Scope, Send

from cleanroom.errors import ServerBusy
from cleanroom.server.problems import problem_from

ALWAYS_ADMITTED = frozenset({"/healthz"})


class Admission:
    """Pure ASGI middleware (no response buffering, so chunk uploads stream through)."""

    def __init__(self, app: ASGIApp, *, limit: int, wait_seconds: float) -> None:
        self.app = app
        self.wait_seconds = wait_seconds
        self.turns = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ALWAYS_ADMITTED:
            await self.app(scope, receive, send)
            return
        try:
            await asyncio.wait_for(self.turns.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            await self.refuse(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.turns.release()

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        retry = max(1, math.ceil(self.wait_seconds))
        busy = ServerBusy("the server is serving as many requests as it can; retry shortly")
        await problem_from(busy, retry_after=retry)(scope, receive, send)
