"""One handler turns every failure into problem+json, bugs included, without a traceback."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx

from cleanroom.errors import PiiDetected
from cleanroom.server.app import create_app
from cleanroom.settings import Settings
from cleanroom.storage.bootstrap import open_storage


def call(tmp_path: Path, path: str) -> httpx.Response:
    settings = Settings(data_dir=tmp_path)
    storage = open_storage(settings)  # no server lock: two apps in turn on one data dir
    app = create_app(settings, storage)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret value jane@example.com in a bug")

    @app.get("/refuse")
    def refuse() -> None:
        raise PiiDetected("column 'channel': 1 distinct value(s) look like email addresses")

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path)

    try:
        return anyio.run(go)
    finally:
        storage.close()


def test_a_bug_is_a_plain_500_problem(tmp_path: Path) -> None:
    reply = call(tmp_path, "/boom")
    assert reply.status_code == 500
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json() == {
        "type": "urn:cleanroom:problem:internal-error",
        "title": "Internal error",
        "status": 500,
        "detail": "the server hit a bug; the operator's log has the details",
    }
    assert "jane" not in reply.text and "Traceback" not in reply.text


def test_domain_error_keeps_its_type_and_detail(tmp_path: Path) -> None:
    reply = call(tmp_path, "/refuse")
    assert (reply.status_code, reply.json()["type"]) == (422, "urn:cleanroom:problem:pii-detected")
    assert reply.json()["title"] == "Column looks like raw identifiers"


def test_method_not_allowed_is_problem_json(tmp_path: Path) -> None:
    reply = call(tmp_path, "/healthz")
    assert reply.status_code == 200
    app_reply = call(tmp_path, "/v1/tokens/x")
    assert app_reply.status_code == 405
    assert app_reply.json()["type"] == "urn:cleanroom:problem:method-not-allowed"
