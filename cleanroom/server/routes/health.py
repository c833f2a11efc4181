"""Open health check, and server information for any token holder."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cleanroom.server.deps import PrincipalDep
from cleanroom.server.schemas import Health, ServerInfo
from cleanroom.storage.signing_key import public_key_pem

VERSION = "0.1.0"
router = APIRouter(tags=["server"])


@router.get("/healthz")
def healthz() -> Health:
    """Liveness: no token needed, no database access."""
    return Health(status="ok", version=VERSION)


@router.get("/v1/server")
def server_info(request: Request, _: PrincipalDep) -> ServerInfo:
    """The server's Ed25519 public key (verifies audit entries offline)."""
    return ServerInfo(
        version=VERSION, signing_public_key_pem=public_key_pem(request.app.state.signing_key)
    )
