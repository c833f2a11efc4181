"""Repeats are audited without one signed entry each, and the chain still verifies."""

from __future__ import annotations

import json

import httpx
from cryptography.hazmat.primitives import serialization

from cleanroom.audit import verify_lines
from cleanroom.query.repeats import REPEAT_BATCH
from tests.integration.query_world import conversions, make_world
from tests.integration.server import ServerProcess
from tests.integration.world import api


def test_repeats_are_counted_then_sealed_in_batches_and_before_an_export(
    server: ServerProcess, admin: httpx.Client
) -> None:
    w = make_world(lambda token: api(server.url, token), server.admin_token, "repeats")
    query = f"/v1/collaborations/{w.id}/queries"
    body = conversions("4d", receiver="brand")
    with w.client("ana") as analyst:
        first = analyst.post(query, json=body)
        assert first.status_code == 201, first.text
        for _ in range(REPEAT_BATCH + 2):
            assert analyst.post(query, json=body).status_code == 200
    with w.client("brand") as brand:
        for _ in range(2):
            assert brand.post(query, json=conversions("4d")).status_code == 200
    with w.client("aud") as auditor:
        lines = auditor.get(f"/v1/collaborations/{w.id}/audit").text.splitlines()
        key = auditor.get("/v1/server").json()["signing_public_key_pem"]
    public = serialization.load_pem_public_key(key.encode())
    assert verify_lines(lines, public).ok  # type: ignore[arg-type]
    entries = [json.loads(line) for line in lines[:-1]]
    served = [(e["action"], e["actor"].split(":")[0], e["details"]) for e in entries]
    repeats = [
        (a, who, d.get("repeats"), d.get("total"))
        for a, who, d in served
        if a.startswith("query.rep")
    ]
    assert repeats == [
        ("query.repeat", "ana", None, None),  # the first repeat to each actor in full
        ("query.repeats", "ana", REPEAT_BATCH, REPEAT_BATCH + 1),  # then one per batch
        ("query.repeat", "brand", None, None),
        ("query.repeats", "ana", 1, REPEAT_BATCH + 2),  # and the rest before the export
        ("query.repeats", "brand", 1, 2),
    ]
    assert sum(1 for a, _, _ in served if a == "query.granted") == 1
