"""Many concurrent clients against a real server: a mix of reads, repeats, queries, uploads.

Each client is one asyncio task with its own connection; the whole run is bounded by the
number of clients and a deadline. The answer is the list of (what, status, headers) the
clients saw; the caller asserts on it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from party_agent.client import BUSY_ATTEMPTS, busy_wait_seconds, retry_safe
from tests.integration.datasets import exposures_table, parquet_bytes, sha256
from tests.integration.query_world import QueryWorld, conversions


@dataclass(frozen=True)
class Seen:
    what: str
    status: int
    retry_after: str | None


Action = Callable[[httpx.AsyncClient, int], Awaitable[list[Seen]]]


def _seen(what: str, reply: httpx.Response) -> Seen:
    return Seen(what, reply.status_code, reply.headers.get("Retry-After"))


def mix(world: QueryWorld) -> list[tuple[str, Action]]:
    """The four kinds of work, each a function of (client, client number)."""
    base = f"/v1/collaborations/{world.id}"
    data = parquet_bytes(exposures_table(world.id, rows=200))

    async def read(client: httpx.AsyncClient, _: int) -> list[Seen]:
        return [_seen("read", await client.get(f"{base}/datasets"))]

    async def repeat(client: httpx.AsyncClient, _: int) -> list[Seen]:
        return [
            _seen(
                "repeat", await client.post(f"{base}/queries", json=conversions(receiver="brand"))
            )
        ]

    async def fresh(client: httpx.AsyncClient, number: int) -> list[Seen]:
        body = conversions(window=f"{1 + number % 30}d", receiver="brand")
        return [_seen("fresh", await client.post(f"{base}/queries", json=body))]

    async def upload(client: httpx.AsyncClient, number: int) -> list[Seen]:
        create = {"dataset": f"load{number % 3}", "kind": "exposures", "size": len(data)}
        started = await client.post(f"{base}/uploads", json={**create, "sha256": sha256(data)})
        if started.status_code != 201:
            return [_seen("upload.create", started)]
        path = f"{base}/uploads/{started.json()['id']}"
        digest = hashlib.sha256(data).hexdigest()
        chunk = await client.put(
            path, params={"offset": 0}, content=data, headers={"X-Chunk-SHA256": digest}
        )
        done = await client.post(f"{path}/complete")
        return [
            _seen("upload.create", started),
            _seen("upload.put", chunk),
            _seen("upload.complete", done),
        ]

    return [("ana", read), ("ana", repeat), ("ana", fresh), ("brand", upload)]


class RetryOnBusy(httpx.AsyncHTTPTransport):
    """The party agent's answer to the server's overload answer, for these async clients:
    the same rules (:func:`party_agent.client.retry_safe`, ``Retry-After`` capped by
    :func:`~party_agent.client.busy_wait_seconds`, at most ``BUSY_ATTEMPTS`` sends); the
    last answer is the one the caller sees."""

    retries = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempts = BUSY_ATTEMPTS if retry_safe(request.method, request.url.path) else 1
        for _ in range(attempts - 1):
            response = await super().handle_async_request(request)
            wait = busy_wait_seconds(response)
            if wait is None:
                return response
            await response.aclose()
            RetryOnBusy.retries += 1
            await asyncio.sleep(wait)
        return await super().handle_async_request(request)


async def _client(world: QueryWorld, url: str, who: str, action: Action, number: int) -> list[Seen]:
    headers = {"Authorization": f"Bearer {world.party(who).token}"}
    transport = RetryOnBusy()
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=60, transport=transport
    ) as client:
        return await action(client, number)


async def _run(world: QueryWorld, url: str, weights: list[int], clients: int) -> list[Seen]:
    actions = mix(world)
    plan = [a for a, w in zip(actions, weights, strict=True) for _ in range(w)]
    tasks = [_client(world, url, *plan[n % len(plan)], n) for n in range(clients)]
    results = await asyncio.gather(*tasks)
    return [seen for result in results for seen in result]


def run_load(world: QueryWorld, url: str, clients: int, weights: list[int]) -> list[Seen]:
    """``weights`` says how many of each (read, repeat, fresh, upload) per round."""
    return asyncio.run(_run(world, url, weights, clients))
