"""Roles on every mutating route, and no cross-collaboration access on any route."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.server import ServerProcess
from tests.integration.world import Collab, api

SHA = "0" * 64
UPLOAD = {"dataset": "x", "kind": "exposures", "size": 10, "sha256": SHA}
KEYS = {"x25519_public": "A" * 43, "ed25519_public": "A" * 43}
SIGNED = {"fingerprint": "0000 " * 7 + "0000", "signature": "A" * 86}
CHECKS = {"key_checks": dict.fromkeys(("email", "phone", "maid", "customer_id"), "0" * 16)}

#: Every route under a collaboration: (method, path, json body). Placeholders in braces are
#: filled from collaboration A. A new route must be added here (see the coverage test).
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/v1/collaborations/{c}", None),
    ("GET", "/v1/collaborations/{c}/members", None),
    ("POST", "/v1/collaborations/{c}/members", {"party": "intruder", "role": "analyst"}),
    ("POST", "/v1/collaborations/{c}/members/{m}/tokens", None),
    ("PUT", "/v1/collaborations/{c}/members/me/keys", KEYS),
    (
        "POST",
        "/v1/collaborations/{c}/match-keys",
        {"wrapped": {"{m}": "cr-wrap-v1:A"}} | SIGNED | CHECKS,
    ),
    ("GET", "/v1/collaborations/{c}/match-keys/mine", None),
    ("GET", "/v1/collaborations/{c}/policies", None),
    ("POST", "/v1/collaborations/{c}/policies", {"text": "a: 1"}),
    ("GET", "/v1/collaborations/{c}/policies/current", None),
    ("GET", "/v1/collaborations/{c}/policies/latest", None),
    ("GET", "/v1/collaborations/{c}/policies/{p}", None),
    ("POST", "/v1/collaborations/{c}/policies/{p}/approvals", {"signature": "A" * 86}),
    ("POST", "/v1/collaborations/{c}/uploads", UPLOAD),
    ("GET", "/v1/collaborations/{c}/uploads", None),
    ("GET", "/v1/collaborations/{c}/uploads/{u}", None),
    ("PUT", "/v1/collaborations/{c}/uploads/{u}?offset=0", None),
    ("POST", "/v1/collaborations/{c}/uploads/{u}/complete", None),
    ("DELETE", "/v1/collaborations/{c}/uploads/{u}", None),
    ("GET", "/v1/collaborations/{c}/datasets", None),
    ("GET", "/v1/collaborations/{c}/datasets/{d}", None),
    ("GET", "/v1/collaborations/{c}/datasets/{d}/versions", None),
    ("POST", "/v1/collaborations/{c}/queries", None),
    ("GET", "/v1/collaborations/{c}/results", None),
    ("GET", "/v1/collaborations/{c}/results/{r}", None),
    ("GET", "/v1/collaborations/{c}/budget", None),
    ("PUT", "/v1/collaborations/{c}/rules", None),
    ("GET", "/v1/collaborations/{c}/rules", None),
    ("GET", "/v1/collaborations/{c}/audit", None),
    ("GET", "/v1/collaborations/{c}/roster", None),
    ("POST", "/v1/collaborations/{c}/roster/{v}/signatures", {"signature": "A" * 86}),
    ("POST", "/v1/collaborations/{c}/blinding/batches", None),
    ("GET", "/v1/collaborations/{c}/blinding/batches/{b}/points?offset=0&limit=1", None),
    ("PUT", "/v1/collaborations/{c}/blinding/batches/{b}/points?offset=0&key_check=00", None),
]


def fill(template: str, collab: Collab, policy_hash: str) -> str:
    member = collab.members["brand"].member_id
    return (
        template.replace("{c}", collab.id)
        .replace("{m}", member)
        .replace("{p}", policy_hash)
        .replace("{u}", "upl_0000000000000000")
        .replace("{d}", "exposures")
        .replace("{r}", "res_0000000000000000")
        .replace("{v}", "1")
        .replace("{b}", "bat_0000000000000000")
    )


def as_openapi(template: str) -> str:
    names = {"{c}": "{collaboration_id}", "{m}": "{member_id}", "{p}": "{policy_hash}"}
    names |= {"{u}": "{upload_id}", "{d}": "{name}", "{r}": "{result_id}"}
    names |= {"{v}": "{version}", "{b}": "{batch_id}"}
    path = template.split("?")[0]
    for short, long in names.items():
        path = path.replace(short, long)
    return path


def test_route_table_covers_every_collaboration_route(admin: httpx.Client) -> None:
    spec = admin.get("/openapi.json").json()
    served = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if "{collaboration_id}" in path
        for method in operations
    }
    listed = {(method, as_openapi(path)) for method, path, _ in ROUTES}
    assert served == listed, (
        "every route under /v1/collaborations/{collaboration_id} must be listed in ROUTES "
        f"(tests/integration/test_server_access.py); missing: {sorted(served - listed)}"
    )


@pytest.fixture(scope="module")
def policy_hash_a(admin: httpx.Client, collab_a: Collab) -> str:
    hash_: str = admin.get(f"/v1/collaborations/{collab_a.id}/policies").json()[0]["policy_hash"]
    return hash_


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("intruder", ["other", "other-an"])
def test_member_of_b_cannot_touch_a(
    server: ServerProcess,
    collab_a: Collab,
    collab_b: Collab,
    policy_hash_a: str,
    intruder: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    url = fill(path, collab_a, policy_hash_a)
    if body is not None:
        body = eval_placeholders(body, collab_a, policy_hash_a)
    with api(server.url, collab_b.members[intruder].token) as client:
        reply = client.request(method, url, json=body, headers={"X-Chunk-SHA256": SHA})
    assert reply.status_code == 404, reply.text
    assert reply.json()["type"] == "urn:cleanroom:problem:unknown-collaboration"
    assert collab_a.id not in reply.text


def eval_placeholders(body: Any, collab: Collab, policy_hash: str) -> Any:
    if isinstance(body, dict):
        return {
            fill(k, collab, policy_hash): eval_placeholders(v, collab, policy_hash)
            for k, v in body.items()
        }
    return body


def test_unknown_collaboration_is_404(admin: httpx.Client) -> None:
    reply = admin.get("/v1/collaborations/col_doesnotexist/datasets")
    assert reply.status_code == 404
    assert reply.json()["type"] == "urn:cleanroom:problem:unknown-collaboration"


FORBIDDEN = [
    ("brand", "POST", "/v1/collaborations", {"name": "mine"}),
    ("brand", "POST", "/v1/collaborations/{c}/members", {"party": "p2", "role": "analyst"}),
    ("brand", "POST", "/v1/collaborations/{c}/members/{m}/tokens", None),
    ("brand", "DELETE", "/v1/tokens/tok_0000000000000000", None),
    ("analyst", "POST", "/v1/collaborations/{c}/uploads", UPLOAD),
    ("audit", "POST", "/v1/collaborations/{c}/uploads", UPLOAD),
    ("analyst", "GET", "/v1/collaborations/{c}/uploads", None),
    ("audit", "GET", "/v1/collaborations/{c}/uploads", None),
    ("analyst", "POST", "/v1/collaborations/{c}/policies", {"text": "a: 1"}),
    ("audit", "POST", "/v1/collaborations/{c}/policies", {"text": "a: 1"}),
    ("analyst", "POST", "/v1/collaborations/{c}/policies/{p}/approvals", {"signature": "A" * 86}),
    (
        "audit",
        "POST",
        "/v1/collaborations/{c}/match-keys",
        {"wrapped": {"x": "A"}} | SIGNED | CHECKS,
    ),
    (
        "analyst",
        "POST",
        "/v1/collaborations/{c}/match-keys",
        {"wrapped": {"x": "A"}} | SIGNED | CHECKS,
    ),
]


@pytest.mark.parametrize(("party", "method", "path", "body"), FORBIDDEN)
def test_roles_are_enforced(
    server: ServerProcess,
    collab_a: Collab,
    policy_hash_a: str,
    party: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    with api(server.url, collab_a.members[party].token) as client:
        reply = client.request(method, fill(path, collab_a, policy_hash_a), json=body)
    assert reply.status_code == 403, reply.text
    assert reply.json()["type"] == "urn:cleanroom:problem:forbidden"
