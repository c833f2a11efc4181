"""Refusals never quote what the caller sent: distinctive values through every route.

Every operation of ``/openapi.json`` is called with a distinctive marker in every path
parameter, in the query string, in every field of a schema-shaped JSON body, in an
unknown field's name and in hand-written bodies that reach deeper checks (policy and
rule text, query windows and join families, match-key recipients). No reply contains
the marker; none is a 5xx.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.integration.server import ServerProcess
from tests.integration.world import Collab, api

MARK = "Zq7echo"


def marked(name: str) -> str:
    return f"{MARK}{name.replace('_', '')}"


def body_for(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> Any:
    """A body of the schema's shape with a marker in every string and every key."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "object" and depth < 3:
        props = schema.get("properties", {})
        body = {name: body_for(sub, spec, depth + 1) for name, sub in props.items()}
        if not props:
            body[marked("key")] = marked("value")
        return body | {marked("unknownfield"): marked("x")}
    if kind == "array":
        return [body_for(schema.get("items", {}), spec, depth + 1)]
    if kind in ("integer", "number"):
        return 7
    if kind == "boolean":
        return True
    return marked("value")


def operations(spec: dict[str, Any]) -> list[tuple[str, str, Any]]:
    found = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            found.append((method.upper(), path, schema))
    return found


POLICY = f"""format: cleanroom-policy/1
name: {MARK.lower()}-policy
version: 1
templates: [overlap, {MARK}tpl]
dimensions: {{exposures: [{MARK}dim], purchases: []}}
window: {{min: 1d, max: {MARK}win}}
k: 50
epsilon_per_query: "1/2"
budget: {{epsilon: 5, period: {MARK}period}}
contribution: {{max_campaigns_per_user: 2, max_purchases_per_user: 2, amount_cap: 9}}
receivers: [brand, {MARK.lower()}party]
"""
DEEP_BODIES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/collaborations", {"name": "x", "policy_yaml": POLICY}),
    ("POST", "/v1/collaborations/{c}/policies", {"text": POLICY}),
    ("PUT", "/v1/collaborations/{c}/rules", {"text": POLICY.replace("name:", "party:")}),
    (
        "POST",
        "/v1/collaborations/{c}/queries",
        {
            "template": "conversions",
            "exposures": f"{MARK}e",
            "purchases": f"{MARK}p",
            "window": f"{MARK}win",
            "join": f"{MARK}family",
        },
    ),
    (
        "POST",
        "/v1/collaborations/{c}/queries",
        {
            "template": "conversions",
            "exposures": "exposures",
            "purchases": "purchases",
            "window": "400d",
            "dimensions": [f"{MARK}dim"],
        },
    ),
    ("POST", "/v1/collaborations/{c}/members", {"party": "brand", "role": "analyst"}),
    (
        "POST",
        "/v1/collaborations/{c}/match-keys",
        {
            "wrapped": {f"{MARK}mem": "cr-wrap-v1:A"},
            "fingerprint": "0000 " * 7 + "0000",
            "signature": "A" * 86,
            "key_checks": {f"{MARK}fam": "0" * 16},
        },
    ),
]


def assert_no_echo(reply: httpx.Response) -> None:
    assert reply.status_code < 500, reply.text
    found = re.findall(rf"{MARK}\w*", reply.text, flags=re.IGNORECASE)
    assert not found, f"{reply.request.method} {reply.request.url.path}: {reply.text}"


@pytest.fixture(scope="module")
def spec(admin: httpx.Client) -> dict[str, Any]:
    result: dict[str, Any] = admin.get("/openapi.json").json()
    return result


@pytest.mark.parametrize("who", ["admin", "brand"])
@pytest.mark.parametrize("real_collaboration", [False, True])
def test_no_route_echoes_a_submitted_value(
    server: ServerProcess,
    spec: dict[str, Any],
    collab_a: Collab,
    who: str,
    real_collaboration: bool,
) -> None:
    token = server.admin_token if who == "admin" else collab_a.members["brand"].token
    with api(server.url, token) as client:
        for method, path, schema in operations(spec):
            url = re.sub(r"\{(\w+)\}", lambda m: marked(m.group(1)), path)
            if real_collaboration:
                url = url.replace(marked("collaboration_id"), collab_a.id)
            params = {"offset": marked("offset"), marked("q"): marked("v")}
            body = body_for(schema, spec) if schema else {marked("field"): marked("v")}
            headers = {"X-Chunk-SHA256": marked("sha")}
            assert_no_echo(client.request(method, url, json=body, params=params, headers=headers))
            assert_no_echo(client.request(method, url, params=params))


@pytest.mark.parametrize(("method", "path", "body"), DEEP_BODIES, ids=[b[1] for b in DEEP_BODIES])
@pytest.mark.parametrize("who", ["admin", "brand"])
def test_deep_checks_do_not_echo(
    server: ServerProcess, collab_a: Collab, who: str, method: str, path: str, body: Any
) -> None:
    token = server.admin_token if who == "admin" else collab_a.members["brand"].token
    with api(server.url, token) as client:
        reply = client.request(method, path.replace("{c}", collab_a.id), json=body)
    assert reply.status_code >= 400
    assert_no_echo(reply)
