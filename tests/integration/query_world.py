"""A small brand x retailer world for query tests: a signed policy and three datasets.

Works with any ``httpx.Client`` (a real server on loopback or the in-process app).
Users 0-149 saw one of three campaigns (every 10th in the holdout); users 60-239 bought
something, 1-5 days after the exposure time of the same user; the brand uploaded spend.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pyarrow as pa

from party_agent.client import ASGIBridge
from protocols import IdType, MatchKey, Tokenizer, approval_message, token_field
from protocols.binding import bind_schema
from tests.integration.datasets import parquet_bytes
from tests.integration.uploading import upload
from tests.integration.world import Collab, Party, bind_match_key, make_collaboration

ROLES = {"brand": "party_admin", "retailer": "party_admin", "ana": "analyst", "aud": "auditor"}
KEY = MatchKey(bytes([7]) * 32)
T0 = 1_764_000_000  # 2025-11-24, inside any test clock's past


def policy_yaml(
    budget: str = "1",
    epsilons: str = '["1/4", "1/2"]',
    k: int = 2,
    period: str = "monthly",
    receivers: str = "[brand, retailer]",
    lifetime: str | None = None,
    attribution: str = "",
    templates: str = "[overlap, conversions, lift]",
) -> str:
    """The world's policy; ``attribution`` is an optional ``attribution:`` YAML block."""
    cap = "" if lifetime is None else f', lifetime: "{lifetime}"'

    return f"""format: cleanroom-policy/1
name: test
version: 1
templates: {templates}
dimensions:
  exposures: [channel]
  purchases: [category]
window: {{min: 1d, max: 30d}}
k: {k}
epsilon_choices: {epsilons}
budget: {{epsilon: "{budget}", period: {period}{cap}}}
contribution: {{max_campaigns_per_user: 3, max_purchases_per_user: 5, amount_cap: 200}}
receivers: {receivers}
keys:
  campaign_id: [cmp-0, cmp-1, cmp-2]
  channel: [search, social]
  category: {{values: [grocery], other: true}}
{attribution}"""


def tokens(collaboration_id: str, users: list[int]) -> pa.Array:
    tokenizer = Tokenizer(KEY, collaboration_id, parallel=False)
    emails = pa.array([f"user{i}@example.com" for i in users])
    return tokenizer.tokenize_array(IdType.EMAIL, emails).tokens


def bound(collaboration_id: str, *attributes: pa.Field) -> pa.Schema:
    """An email token column and ``attributes``, bound to the collaboration and ``KEY``."""
    schema = pa.schema([token_field("email"), *attributes])
    return bind_schema(schema, Tokenizer(KEY, collaboration_id, parallel=False))


def exposures(collaboration_id: str) -> pa.Table:
    users = list(range(150))
    return pa.Table.from_arrays(
        [
            tokens(collaboration_id, users),
            pa.array([f"cmp-{u % 3}" for u in users]),
            pa.array([T0 + u * 60 for u in users], pa.int64()),
            pa.array([u % 10 == 0 for u in users]),
            pa.array(["social" if u % 2 else "search" for u in users]),
        ],
        schema=bound(
            collaboration_id,
            pa.field("campaign_id", pa.string()),
            pa.field("exposure_time", pa.int64()),
            pa.field("holdout", pa.bool_()),
            pa.field("channel", pa.string()),
        ),
    )


def purchases(collaboration_id: str) -> pa.Table:
    users = list(range(60, 240))
    return pa.Table.from_arrays(
        [
            tokens(collaboration_id, users),
            pa.array([T0 + u * 60 + 86_400 * (1 + u % 5) for u in users], pa.int64()),
            pa.array([float(10 + u % 90) for u in users]),
        ],
        schema=bound(
            collaboration_id,
            pa.field("purchase_time", pa.int64()),
            pa.field("amount", pa.float64()),
        ),
    )


def spend() -> pa.Table:
    return pa.table(
        {"campaign_id": ["cmp-0", "cmp-1", "cmp-2"], "spend": [100.0, 250.0, 80.0]},
        schema=pa.schema([pa.field("campaign_id", pa.string()), pa.field("spend", pa.float64())]),
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


Connect = Callable[[str], httpx.Client]
"""Makes a client for a bearer token (real server or in-process app)."""


class Shared(httpx.BaseTransport):
    """Lends one transport to many clients; closing a client leaves it open."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


def in_process(app: Any) -> Connect:
    transport = Shared(ASGIBridge(app))

    def connect(token: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url="http://app", transport=transport, headers=headers)

    return connect


@dataclass
class QueryWorld:
    collab: Collab
    connect: Connect

    def client(self, name: str) -> httpx.Client:
        return self.connect(self.party(name).token)

    @property
    def id(self) -> str:
        return self.collab.id

    def party(self, name: str) -> Party:
        return self.collab.members[name]


def approve_current(connect: Connect, collab: Collab) -> None:
    base = f"/v1/collaborations/{collab.id}/policies"
    for name in ("brand", "retailer"):
        party = collab.members[name]
        with connect(party.token) as member:
            reply = member.put(
                f"/v1/collaborations/{collab.id}/members/me/keys", json=party.keys_body()
            )
            assert reply.status_code == 200, reply.text
            digest = member.get(f"{base}/latest").json()["policy_hash"]
            signature = _b64(party.ed25519.sign(approval_message(collab.id, digest)))
            reply = member.post(f"{base}/{digest}/approvals", json={"signature": signature})
            assert reply.status_code == 201, reply.text


def register_key(connect: Connect, collab: Collab) -> None:
    """brand posts ``KEY`` (with its key check values): the world's token files match it."""
    with connect(collab.members["brand"].token) as brand:
        bind_match_key(brand, collab.id, collab.members["brand"], KEY)


def make_world(connect: Connect, admin_token: str, name: str = "q", **policy: Any) -> QueryWorld:
    with connect(admin_token) as admin:
        collab = make_collaboration(admin, name, ROLES, policy_yaml=policy_yaml(**policy))
    approve_current(connect, collab)
    register_key(connect, collab)
    uploads = [
        ("brand", exposures(collab.id), "exp", "exposures"),
        ("retailer", purchases(collab.id), "pur", "purchases"),
        ("brand", spend(), "spend", "spend"),
    ]
    for owner, table, dataset, kind in uploads:
        with connect(collab.members[owner].token) as member:
            reply = upload(member, collab.id, parquet_bytes(table), dataset, kind)
            assert reply.status_code in (200, 201), reply.text
    return QueryWorld(collab, connect)


def conversions(window: str = "7d", **extra: Any) -> dict[str, Any]:
    return {
        "template": "conversions",
        "exposures": "exp",
        "purchases": "pur",
        "window": window,
        **extra,
    }
