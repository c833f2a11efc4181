"""Two collaborations with members of every role, created through the real API."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from protocols import (
    MatchKey,
    b64url_encode,
    encode_public_key,
    match_key_message,
    wrap_match_key,
)
from protocols.binding import key_checks


def api(url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


@dataclass
class Party:
    member_id: str
    token_id: str
    token: str
    x25519: X25519PrivateKey
    ed25519: Ed25519PrivateKey

    def keys_body(self) -> dict[str, str]:
        return {
            "x25519_public": encode_public_key(self.x25519.public_key()),
            "ed25519_public": encode_public_key(self.ed25519.public_key()),
        }


@dataclass
class Collab:
    id: str
    members: dict[str, Party]


def add_member(admin: httpx.Client, collaboration_id: str, party: str, role: str) -> Party:
    reply = admin.post(
        f"/v1/collaborations/{collaboration_id}/members", json={"party": party, "role": role}
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    return Party(
        body["member"]["id"],
        body["token_id"],
        body["token"],
        X25519PrivateKey.generate(),
        Ed25519PrivateKey.generate(),
    )


def make_collaboration(
    admin: httpx.Client, name: str, roles: dict[str, str], policy_yaml: str | None = None
) -> Collab:
    body = {"name": name} if policy_yaml is None else {"name": name, "policy_yaml": policy_yaml}
    reply = admin.post("/v1/collaborations", json=body)
    assert reply.status_code == 201, reply.text
    collaboration_id = reply.json()["id"]
    members = {party: add_member(admin, collaboration_id, party, r) for party, r in roles.items()}
    return Collab(collaboration_id, members)


ROLES = {
    "brand": "party_admin",
    "retailer": "party_admin",
    "analyst": "analyst",
    "audit": "auditor",
}


def bind_match_key(
    client: httpx.Client, collaboration_id: str, creator: Party, key: MatchKey
) -> None:
    """``creator`` registers its keys and posts ``key`` wrapped to itself, with its key
    check values: from then on the collaboration accepts token files made with ``key``."""
    base = f"/v1/collaborations/{collaboration_id}"
    reply = client.put(f"{base}/members/me/keys", json=creator.keys_body())
    assert reply.status_code == 200, reply.text
    message = match_key_message(collaboration_id, key.fingerprint)
    body = {
        "wrapped": {
            creator.member_id: wrap_match_key(key, creator.x25519.public_key(), collaboration_id)
        },
        "fingerprint": key.fingerprint,
        "signature": b64url_encode(creator.ed25519.sign(message)),
        "key_checks": key_checks(key, collaboration_id),
    }
    reply = client.post(f"{base}/match-keys", json=body)
    assert reply.status_code == 201, reply.text
