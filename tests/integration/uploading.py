"""Upload helpers speaking the raw chunk protocol (the agent's client is tested separately)."""

from __future__ import annotations

import hashlib

import httpx

from tests.integration.datasets import sha256

CHUNK = 65_536


def start(client: httpx.Client, collab: str, data: bytes, dataset: str, kind: str) -> dict:  # type: ignore[type-arg]
    body = {"dataset": dataset, "kind": kind, "size": len(data), "sha256": sha256(data)}
    reply = client.post(f"/v1/collaborations/{collab}/uploads", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()  # type: ignore[no-any-return]


def put(
    client: httpx.Client, collab: str, upload_id: str, offset: int, chunk: bytes
) -> httpx.Response:
    return client.put(
        f"/v1/collaborations/{collab}/uploads/{upload_id}",
        params={"offset": offset},
        content=chunk,
        headers={"X-Chunk-SHA256": hashlib.sha256(chunk).hexdigest()},
    )


def send_all(
    client: httpx.Client, collab: str, upload_id: str, data: bytes, offset: int = 0
) -> None:
    while offset < len(data):
        chunk = data[offset : offset + CHUNK]
        reply = put(client, collab, upload_id, offset, chunk)
        assert reply.status_code == 200, reply.text
        offset = reply.json()["received"]


def upload(
    client: httpx.Client, collab: str, data: bytes, dataset: str, kind: str
) -> httpx.Response:
    session = start(client, collab, data, dataset, kind)
    send_all(client, collab, session["id"], data)
    return client.post(f"/v1/collaborations/{collab}/uploads/{session['id']}/complete")
