"""Open routes, problem+json errors, authentication and token revocation."""

from __future__ import annotations

import httpx

from tests.integration.server import ServerProcess
from tests.integration.world import Collab, add_member, api

PROBLEM = "application/problem+json"


def test_healthz_and_openapi_need_no_token(server: ServerProcess) -> None:
    with api(server.url, None) as anonymous:
        assert anonymous.get("/healthz").json()["status"] == "ok"
        spec = anonymous.get("/openapi.json").json()
    assert "/v1/collaborations/{collaboration_id}/uploads" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    with api(server.url, None) as anonymous:
        assert anonymous.get("/docs").status_code == 404  # no page that loads a CDN


def test_missing_and_unknown_tokens_are_problem_json(server: ServerProcess) -> None:
    for token in (None, "crt_not-a-real-token"):
        with api(server.url, token) as client:
            reply = client.get("/v1/collaborations")
        assert reply.status_code == 401
        assert reply.headers["content-type"] == PROBLEM
        body = reply.json()
        assert body["type"] == "urn:cleanroom:problem:unauthenticated"
        assert set(body) == {"type", "title", "status", "detail"}


def test_unknown_route_and_invalid_body_are_problem_json(admin: httpx.Client) -> None:
    missing = admin.get("/v1/nothing-here")
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    invalid = admin.post("/v1/collaborations", json={"name": ""})
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == PROBLEM
    assert invalid.json()["type"] == "urn:cleanroom:problem:request-invalid"
    assert "body.name" in invalid.json()["detail"]


def test_revoked_token_is_refused(
    server: ServerProcess, admin: httpx.Client, collab_a: Collab
) -> None:
    party = add_member(admin, collab_a.id, "short-lived", "analyst")
    with api(server.url, party.token) as client:
        assert client.get("/v1/me").json()["party"] == "short-lived"
        assert admin.delete(f"/v1/tokens/{party.token_id}").status_code == 204
        reply = client.get("/v1/me")
    assert reply.status_code == 401
    assert reply.json()["type"] == "urn:cleanroom:problem:token-revoked"


def test_tokens_are_stored_only_as_hashes(server: ServerProcess, collab_a: Collab) -> None:
    token = collab_a.members["brand"].token
    database = (server.data_dir / "cleanroom.db").read_bytes()
    wal = server.data_dir / "cleanroom.db-wal"
    stored = database + (wal.read_bytes() if wal.exists() else b"")
    assert token.encode() not in stored
    assert (server.data_dir / "keys" / "server-ed25519.pem").stat().st_mode & 0o777 == 0o600
