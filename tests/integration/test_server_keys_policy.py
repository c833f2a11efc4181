"""Public keys, match-key relay (ciphertext only) and signed policy approvals."""

from __future__ import annotations

import base64

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import policies
from policies import preset_yaml
from protocols import (
    MatchKey,
    approval_message,
    decode_x25519_public_key,
    match_key_message,
    unwrap_match_key,
    wrap_match_key,
)
from protocols.binding import key_checks
from tests.integration.server import ServerProcess
from tests.integration.world import Collab, Party, api, make_collaboration


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def register(server: ServerProcess, collab: Collab, party: Party) -> None:
    with api(server.url, party.token) as client:
        reply = client.put(
            f"/v1/collaborations/{collab.id}/members/me/keys", json=party.keys_body()
        )
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["x25519_fingerprint"].split()) == 8


def test_match_key_is_relayed_as_ciphertext_only(
    server: ServerProcess, admin: httpx.Client
) -> None:
    collab = make_collaboration(admin, "keys", {"brand": "party_admin", "shop": "party_admin"})
    brand, shop = collab.members["brand"], collab.members["shop"]
    for party in (brand, shop):
        register(server, collab, party)
    members = admin.get(f"/v1/collaborations/{collab.id}/members").json()
    keys = {m["id"]: decode_x25519_public_key(m["x25519_public"]) for m in members}
    key = MatchKey.generate()
    wrapped = {mid: wrap_match_key(key, pub, collab.id) for mid, pub in keys.items()}
    message = match_key_message(collab.id, key.fingerprint)
    checks = key_checks(key, collab.id)
    body = {"wrapped": wrapped, "fingerprint": key.fingerprint, "key_checks": checks}
    with api(server.url, brand.token) as client:
        url = f"/v1/collaborations/{collab.id}/match-keys"
        forged = client.post(url, json=body | {"signature": b64(shop.ed25519.sign(message))})
        assert forged.json()["type"] == "urn:cleanroom:problem:invalid-signature"
        signed = body | {"signature": b64(brand.ed25519.sign(message))}
        posted = client.post(url, json=signed)
    assert posted.status_code == 201 and posted.json()["generation"] == 1
    with api(server.url, shop.token) as client:
        mine = client.get(f"/v1/collaborations/{collab.id}/match-keys/mine").json()
    assert unwrap_match_key(mine["wrapped"], shop.x25519, collab.id) == key
    assert mine["key_checks"] == checks
    stored = server.sql("SELECT wrapped FROM wrapped_match_keys")
    assert stored and all(str(row[0]).startswith("cr-wrap-v1:") for row in stored)
    if server.database_url is None:
        db = (server.data_dir / "cleanroom.db").read_bytes()
        assert key.secret not in db and key.to_hex().encode() not in db


def test_policy_takes_effect_only_when_every_party_signed(
    server: ServerProcess, admin: httpx.Client
) -> None:
    roles = {"brand": "party_admin", "shop": "party_admin", "ana": "analyst"}
    collab = make_collaboration(admin, "policy", roles, policy_yaml=preset_yaml("standard"))
    brand, shop = collab.members["brand"], collab.members["shop"]
    base = f"/v1/collaborations/{collab.id}/policies"
    with api(server.url, brand.token) as client:
        latest = client.get(f"{base}/latest").json()
        policy_hash = latest["policy_hash"]
        message = approval_message(collab.id, policy_hash)
        assert latest["signed_message"].encode() == message
        assert message == f"cleanroom policy approval v1|{collab.id}|{policy_hash}".encode()
        early = client.post(
            f"{base}/{policy_hash}/approvals", json={"signature": b64(brand.ed25519.sign(message))}
        )
        assert early.json()["type"] == "urn:cleanroom:problem:keys-not-registered"
        register(server, collab, brand)
        signed = client.post(
            f"{base}/{policy_hash}/approvals", json={"signature": b64(brand.ed25519.sign(message))}
        ).json()
        assert (signed["effective"], signed["missing_approvals"]) == (False, ["shop"])
        assert client.get(f"{base}/current").status_code == 404
    register(server, collab, shop)
    with api(server.url, shop.token) as client:
        other = approval_message("col_other", policy_hash)
        wrong = client.post(
            f"{base}/{policy_hash}/approvals", json={"signature": b64(shop.ed25519.sign(other))}
        )
        assert wrong.status_code == 422
        assert wrong.json()["type"] == "urn:cleanroom:problem:invalid-signature"
        done = client.post(
            f"{base}/{policy_hash}/approvals", json={"signature": b64(shop.ed25519.sign(message))}
        ).json()
        assert done["effective"] is True
        assert client.get(f"{base}/current").json()["policy_hash"] == policy_hash
    actions = audit_actions(server, collab.id)
    assert actions[:2] == ["collaboration.create", "member.add"]
    # the default policy pins keys on registration: both have registered, so the
    # policy's taking effect fixes the key roster
    assert actions[-3:] == ["policy.approve", "policy.effective", "keys.roster.fixed"]
    assert actions.count("policy.approve") == 2


def audit_actions(server: ServerProcess, collaboration_id: str) -> list[str]:
    rows = server.sql(
        "SELECT action FROM audit_entries WHERE collaboration_id = :c ORDER BY seq",
        c=collaboration_id,
    )
    return [str(row[0]) for row in rows]


def test_invalid_policy_is_refused_with_every_problem(admin: httpx.Client) -> None:
    reply = admin.post("/v1/collaborations", json={"name": "bad", "policy_yaml": "k: 1\n"})
    assert reply.status_code == 422
    body = reply.json()
    assert body["type"] == "urn:cleanroom:problem:invalid-policy"
    assert "templates: is required" in body["detail"]


def test_default_policy_is_the_strict_preset(admin: httpx.Client) -> None:
    created = admin.post("/v1/collaborations", json={"name": "defaults"}).json()
    latest = admin.get(f"/v1/collaborations/{created['id']}/policies/latest").json()
    assert latest["policy_hash"] == policies.policy_hash(policies.preset("strict"))


def pinned_policy(pins: dict[str, list[str]]) -> str:
    lines = [f"  {party}: [{', '.join(repr(fp) for fp in fps)}]" for party, fps in pins.items()]
    return preset_yaml("standard") + "pinned_keys:\n" + "\n".join(lines) + "\n"


def test_pinned_keys_bind_approvals_and_registration(
    server: ServerProcess, admin: httpx.Client
) -> None:
    from protocols import public_key_fingerprint

    roles = {"brand": "party_admin", "shop": "party_admin"}
    collab = make_collaboration(admin, "pinned", roles)
    brand, shop = collab.members["brand"], collab.members["shop"]
    for party in (brand, shop):
        register(server, collab, party)
    brand_fps = [
        public_key_fingerprint(brand.ed25519.public_key()),
        public_key_fingerprint(brand.x25519.public_key()),
    ]
    base = f"/v1/collaborations/{collab.id}/policies"
    wrong = admin.post(base, json={"text": pinned_policy({"brand": ["0000 " * 7 + "0000"]})})
    right = admin.post(base, json={"text": pinned_policy({"brand": brand_fps})})
    with api(server.url, brand.token) as client:
        for reply, expected in ((wrong, 403), (right, 201)):
            policy_hash = reply.json()["policy_hash"]
            message = approval_message(collab.id, policy_hash)
            signature = b64(brand.ed25519.sign(message))
            answer = client.post(f"{base}/{policy_hash}/approvals", json={"signature": signature})
            assert answer.status_code == expected, answer.text
        assert "key-not-accepted" in wrong_type(client, base, wrong.json()["policy_hash"], brand)
    with api(server.url, shop.token) as client:
        policy_hash = right.json()["policy_hash"]
        signature = b64(shop.ed25519.sign(approval_message(collab.id, policy_hash)))
        done = client.post(f"{base}/{policy_hash}/approvals", json={"signature": signature})
        assert done.json()["effective"] is True
    # the effective policy pins brand: a new key pair for brand is refused
    replacement = Party(brand.member_id, brand.token_id, brand.token, *new_pairs())
    with api(server.url, brand.token) as client:
        reply = client.put(
            f"/v1/collaborations/{collab.id}/members/me/keys", json=replacement.keys_body()
        )
    assert reply.status_code == 403
    assert reply.json()["type"] == "urn:cleanroom:problem:key-not-accepted"


def wrong_type(client: httpx.Client, base: str, policy_hash: str, party: Party) -> str:
    message = approval_message(base.split("/")[3], policy_hash)
    reply = client.post(
        f"{base}/{policy_hash}/approvals", json={"signature": b64(party.ed25519.sign(message))}
    )
    return str(reply.json()["type"])


def new_pairs() -> tuple[X25519PrivateKey, Ed25519PrivateKey]:
    return X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
