"""The operator's key swap, tried for real: mint a token for a member, register its own keys,
wait for the next ``keys create``. The server refuses the swap; an operator who writes the
database directly is caught by the agent, which refuses to wrap; the audit log names the
admin behind a minted credential."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from party_agent.home import PartyHome
from protocols import b64url_encode, encode_public_key, key_rotation_message, public_key_fingerprint
from tests.integration.agents import agent, join_homes
from tests.integration.server import ServerProcess
from tests.integration.world import Collab, api, make_collaboration


def generations(server: ServerProcess, collab: Collab) -> int:
    rows = server.sql(
        "SELECT COUNT(DISTINCT generation) FROM wrapped_match_keys WHERE collaboration_id = :c",
        c=collab.id,
    )
    return int(str(rows[0][0]))


@pytest.fixture
def world(
    server: ServerProcess, admin: httpx.Client, tmp_path: Path
) -> tuple[Collab, dict[str, PartyHome]]:
    collab = make_collaboration(admin, "swap", {"brand": "party_admin", "shop": "party_admin"})
    homes = join_homes(server.url, collab, tmp_path)
    return collab, {party: PartyHome.open(home) for party, home in homes.items()}


def operator_keys() -> dict[str, str]:
    return {
        "x25519_public": encode_public_key(X25519PrivateKey.generate().public_key()),
        "ed25519_public": encode_public_key(Ed25519PrivateKey.generate().public_key()),
    }


def test_first_sight_needs_an_explicit_fingerprint(
    server: ServerProcess, world: tuple[Collab, dict[str, PartyHome]]
) -> None:
    collab, homes = world
    brand, shop = homes["brand"], homes["shop"]
    code, _, err = agent("keys", "create", "--home", str(brand.path))
    assert code == 1 and err.count("\n") == 1
    assert f"first sight of shop's x25519 key {shop.x25519_fingerprint}" in err
    assert err.rstrip().endswith("nothing was wrapped")
    assert generations(server, collab) == 0 and not brand.has_match_key(collab.id)
    accept = ("--accept-fingerprint", shop.x25519_fingerprint)
    code, out, err = agent("keys", "create", "--home", str(brand.path), *accept)
    assert code == 0, err
    assert "wrapped to shop" in out and generations(server, collab) == 1
    code, _, err = agent("keys", "fetch", "--home", str(shop.path))
    assert code == 1 and f"first sight of brand's ed25519 key {brand.ed25519_fingerprint}" in err
    assert not shop.has_match_key(collab.id)
    accept = ("--accept-fingerprint", brand.ed25519_fingerprint.replace(" ", "").upper())
    assert agent("keys", "fetch", "--home", str(shop.path), *accept)[0] == 0
    assert shop.match_key(collab.id) == brand.match_key(collab.id)
    known = json.loads((brand.path / "known_keys.json").read_text())
    assert known[collab.id]["shop"] == {"x25519": shop.x25519_fingerprint}
    assert (brand.path / "known_keys.json").stat().st_mode & 0o777 == 0o600


def test_operator_key_swap_is_refused_by_server_and_agent(
    server: ServerProcess, admin: httpx.Client, world: tuple[Collab, dict[str, PartyHome]]
) -> None:
    collab, homes = world
    brand, shop = homes["brand"], homes["shop"]
    accept = ("--accept-fingerprint", shop.x25519_fingerprint)
    assert agent("keys", "create", "--home", str(brand.path), *accept)[0] == 0
    # 1. Through the API: a token minted by the admin cannot replace shop's keys.
    shop_id = collab.members["shop"].member_id
    minted = admin.post(f"/v1/collaborations/{collab.id}/members/{shop_id}/tokens").json()
    swapped = operator_keys()
    url = f"/v1/collaborations/{collab.id}/members/me/keys"
    with api(server.url, minted["token"]) as operator:
        refused = operator.put(url, json=swapped)
        assert refused.status_code == 403
        assert refused.json()["type"] == "urn:cleanroom:problem:key-replacement-refused"
        message = key_rotation_message(collab.id, shop_id, **swapped)
        forged = b64url_encode(Ed25519PrivateKey.generate().sign(message))
        refused = operator.put(url, json=swapped | {"rotation_signature": forged})
        assert refused.json()["type"] == "urn:cleanroom:problem:invalid-signature"
    members = admin.get(f"/v1/collaborations/{collab.id}/members").json()
    assert {m["party"]: m["x25519_fingerprint"] for m in members}["shop"] == (
        shop.x25519_fingerprint
    )
    # 2. Writing the database directly: the agent sees the changed key and wraps nothing.
    server.tamper(
        "UPDATE members SET x25519_public = :x WHERE id = :m", x=swapped["x25519_public"], m=shop_id
    )
    before = generations(server, collab)
    code, out, err = agent("keys", "create", "--home", str(brand.path), "--new")
    assert code == 1 and out == ""
    assert err.startswith("error: REFUSED: the server shows a CHANGED x25519 key for shop")
    assert f"this home accepted {shop.x25519_fingerprint}" in err
    assert generations(server, collab) == before


def test_rotation_signed_with_the_previous_key_is_accepted(
    server: ServerProcess, world: tuple[Collab, dict[str, PartyHome]]
) -> None:
    collab, homes = world
    shop = homes["shop"]
    member_id = collab.members["shop"].member_id
    new_x, new_e = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    body = {
        "x25519_public": encode_public_key(new_x.public_key()),
        "ed25519_public": encode_public_key(new_e.public_key()),
    }
    message = key_rotation_message(collab.id, member_id, **body)
    body["rotation_signature"] = b64url_encode(shop.ed25519_private_key().sign(message))
    with api(server.url, collab.members["shop"].token) as client:
        reply = client.put(f"/v1/collaborations/{collab.id}/members/me/keys", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["x25519_fingerprint"] == public_key_fingerprint(new_x.public_key())


def test_admin_minted_credential_is_the_admin_in_the_exported_log(
    server: ServerProcess, admin: httpx.Client, world: tuple[Collab, dict[str, PartyHome]]
) -> None:
    collab, _ = world
    added = admin.post(
        f"/v1/collaborations/{collab.id}/members", json={"party": "mallory", "role": "party_admin"}
    ).json()
    with api(server.url, added["token"]) as mallory:
        url = f"/v1/collaborations/{collab.id}/members/me/keys"
        assert mallory.put(url, json=operator_keys()).status_code == 200
    auditor = admin.post(
        f"/v1/collaborations/{collab.id}/members", json={"party": "aud", "role": "auditor"}
    ).json()
    with api(server.url, auditor["token"]) as client:
        lines = client.get(f"/v1/collaborations/{collab.id}/audit").text.splitlines()
    records = [json.loads(line) for line in lines]
    admin_id = admin.get("/v1/me").json()["token_id"]
    registered = [r for r in records if r.get("action") == "member.keys.register"]
    mallory_entry = next(r for r in registered if "mallory" in r["actor"])
    assert mallory_entry["actor"] == (
        f"mallory:{added['member']['id']} (token {added['token_id']}, issued by admin:{admin_id})"
    )
    issued = [r for r in records if r.get("action") == "token.issue"]
    assert all(r["actor"] == f"admin:{admin_id}" for r in issued) and issued
