"""How the agent puts a chunk on the wire: the whole chunk, framed by Content-Length
(never chunked transfer encoding), in slices, and whole again when a 503 makes it resend."""

from __future__ import annotations

import hashlib

import httpx

from party_agent import client as agent_client
from party_agent.client import CleanRoomClient

C = "/v1/collaborations/col_1"


def test_a_chunk_goes_in_slices_with_its_length_and_again_after_a_503() -> None:
    seen: list[tuple[httpx.Headers, bytes]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers, request.read()))
        if len(seen) == 1:
            problem = {"type": "urn:cleanroom:problem:server-busy", "detail": "busy"}
            return httpx.Response(503, headers={"Retry-After": "0"}, json=problem)
        return httpx.Response(200, json={"received": 5})

    chunk = bytes(range(256)) * (agent_client.SEND_PIECE // 256) * 2 + b"tail"
    transport = httpx.MockTransport(answer)
    with CleanRoomClient("http://room", "tok", transport=transport, sleep=lambda _: None) as agent:
        reply = agent.put_chunk("col_1", "upl_1", 0, chunk, hashlib.sha256(chunk).hexdigest())
    assert reply == {"received": 5}
    assert len(seen) == 2
    for headers, body in seen:
        assert body == chunk
        assert headers["Content-Length"] == str(len(chunk))
        assert "Transfer-Encoding" not in headers
        assert headers["X-Received-SHA256"] == hashlib.sha256(chunk).hexdigest()
    pieces = list(agent_client._Pieces(chunk))
    assert [len(p) for p in pieces] == [agent_client.SEND_PIECE] * 2 + [4]
