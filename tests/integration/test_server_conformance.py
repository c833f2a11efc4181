"""HTTP conformance: 401 and 405 carry their headers; every timestamp has a time zone."""

from __future__ import annotations

import re
from datetime import datetime

import httpx

from tests.integration.datasets import exposures_table, parquet_bytes
from tests.integration.server import ServerProcess
from tests.integration.uploading import upload
from tests.integration.world import Collab, api


def test_401_says_which_scheme_to_use(server: ServerProcess) -> None:
    for token in (None, "crt_not-a-real-token"):
        with api(server.url, token) as client:
            reply = client.get("/v1/me")
        assert reply.status_code == 401
        assert reply.headers["WWW-Authenticate"] == 'Bearer realm="cleanroom"'


def test_405_lists_the_allowed_methods(admin: httpx.Client) -> None:
    reply = admin.delete("/v1/collaborations")
    assert reply.status_code == 405
    assert reply.headers["content-type"] == "application/problem+json"
    assert sorted(reply.headers["Allow"].split(", ")) == ["GET", "POST"]


def test_openapi_describes_the_chunk_body(server: ServerProcess) -> None:
    spec = httpx.get(server.url + "/openapi.json").json()
    put = spec["paths"]["/v1/collaborations/{collaboration_id}/uploads/{upload_id}"]["put"]
    assert put["requestBody"]["content"]["application/octet-stream"]["schema"] == {
        "type": "string",
        "format": "binary",
    }


ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_timestamps_carry_a_time_zone_on_sqlite(
    server: ServerProcess, admin: httpx.Client, collab_a: Collab
) -> None:
    created = admin.get(f"/v1/collaborations/{collab_a.id}").json()["created_at"]
    with api(server.url, collab_a.members["brand"].token) as brand:
        data = parquet_bytes(exposures_table(collab_a.id, rows=30))
        version = upload(brand, collab_a.id, data, "zoned", "exposures").json()
    for stamp in (created, version["created_at"]):
        assert ISO_WITH_ZONE.match(stamp), stamp
        assert datetime.fromisoformat(stamp).utcoffset() is not None
