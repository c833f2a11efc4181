"""``pin_keys: on_registration`` through the real server, tried as the operator would.

The default policy (the ``standard`` preset) pins keys on registration: once both
party_admins have joined and approved it, the server fixes the key roster; each agent
signs it after checking it against what it knows, and wraps only within a roster every
listed party signed. The operator (who controls the server and can do anything the
admin role can) then tries: a member of its own added after the roster was fixed, a
rotation of a rostered key, a wrap to an unrostered key through the API, and an edit of
the roster in the database.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from party_agent.home import PartyHome
from protocols import (
    MatchKey,
    RosterEntry,
    approval_message,
    b64url_encode,
    match_key_message,
    public_key_fingerprint,
    roster_digest,
    wrap_match_key,
)
from protocols.binding import key_checks
from tests.integration.agents import agent, join_homes
from tests.integration.server import ServerProcess
from tests.integration.world import Collab, Party, add_member, api, make_collaboration

Homes = dict[str, PartyHome]


def generations(server: ServerProcess, collab: Collab) -> int:
    rows = server.sql(
        "SELECT COUNT(DISTINCT generation) FROM wrapped_match_keys WHERE collaboration_id = :c",
        c=collab.id,
    )
    return int(str(rows[0][0]))


def actions(server: ServerProcess, collab: Collab) -> list[str]:
    rows = server.sql(
        "SELECT action FROM audit_entries WHERE collaboration_id = :c ORDER BY seq", c=collab.id
    )
    return [str(r[0]) for r in rows]


def accept(*homes: PartyHome) -> list[str]:
    flags = []
    for home in homes:
        for fp in (home.x25519_fingerprint, home.ed25519_fingerprint):
            flags += ["--accept-fingerprint", fp]
    return flags


@pytest.fixture
def world(server: ServerProcess, admin: httpx.Client, tmp_path: Path) -> tuple[Collab, Homes]:
    """brand and shop joined and approved the default policy: the roster is fixed."""
    collab = make_collaboration(admin, "roster", {"brand": "party_admin", "shop": "party_admin"})
    homes = {p: PartyHome.open(h) for p, h in join_homes(server.url, collab, tmp_path).items()}
    for home in homes.values():
        code, _, err = agent("policy", "approve", "--home", str(home.path), "--yes")
        assert code == 0, err
    return collab, homes


def sign_both(homes: Homes) -> None:
    brand, shop = homes["brand"], homes["shop"]
    code, out, err = agent("keys", "roster", "--home", str(brand.path), "--yes", *accept(shop))
    assert code == 0, err
    assert "signed key roster v1: waiting for shop" in out
    code, out, err = agent("keys", "roster", "--home", str(shop.path), "--yes", *accept(brand))
    assert code == 0, err
    assert "signed key roster v1: signed by every party" in out


def test_the_match_key_moves_only_within_a_roster_every_party_signed(
    server: ServerProcess, world: tuple[Collab, Homes]
) -> None:
    collab, homes = world
    brand, shop = homes["brand"], homes["shop"]
    flags = accept(shop)
    code, _, err = agent("keys", "create", "--home", str(brand.path), *flags)
    assert code == 1 and "key roster v1 is not signed by every party" in err
    assert "brand, shop" in err and generations(server, collab) == 0
    sign_both(homes)
    code, out, err = agent("keys", "create", "--home", str(brand.path), *flags)
    assert code == 0, err
    assert "wrapped to shop" in out
    assert agent("keys", "fetch", "--home", str(shop.path), *accept(brand))[0] == 0
    assert shop.match_key(collab.id) == brand.match_key(collab.id)
    logged = actions(server, collab)
    assert logged.count("keys.roster.fixed") == 1 and logged.count("keys.roster.signed") == 2
    fixed = server.sql(
        "SELECT details FROM audit_entries WHERE collaboration_id = :c "
        "AND action = 'keys.roster.fixed'",
        c=collab.id,
    )
    details = json.loads(str(fixed[0][0]))
    assert details["version"] == 1 and len(details["digest"]) == 64
    assert sorted(details["members"]) == sorted(m.member_id for m in collab.members.values())


def test_a_rostered_key_cannot_be_rotated_even_with_the_previous_keys_signature(
    world: tuple[Collab, Homes],
) -> None:
    _, homes = world
    shop = homes["shop"]
    before = (shop.x25519_fingerprint, shop.ed25519_fingerprint)
    code, _, err = agent("keys", "rotate", "--home", str(shop.path))
    assert code == 1 and err.count("\n") == 1
    assert "key-replacement-refused" in err and "fixed in key roster v1" in err
    reopened = PartyHome.open(shop.path)
    assert (reopened.x25519_fingerprint, reopened.ed25519_fingerprint) == before


def operator_member(admin: httpx.Client, server: ServerProcess, collab: Collab) -> Party:
    """The operator adds a party_admin of its own and registers its keys."""
    evil = add_member(admin, collab.id, "evil", "party_admin")
    with api(server.url, evil.token) as client:
        reply = client.put(f"/v1/collaborations/{collab.id}/members/me/keys", json=evil.keys_body())
        assert reply.status_code == 200, reply.text
    return evil


def test_the_server_refuses_a_wrap_to_a_key_outside_the_roster(
    server: ServerProcess, admin: httpx.Client, world: tuple[Collab, Homes]
) -> None:
    collab, homes = world
    sign_both(homes)
    evil = operator_member(admin, server, collab)
    brand = homes["brand"]
    key = MatchKey.generate()
    message = match_key_message(collab.id, key.fingerprint)
    body = {
        "wrapped": {evil.member_id: wrap_match_key(key, evil.x25519.public_key(), collab.id)},
        "fingerprint": key.fingerprint,
        "signature": b64url_encode(brand.ed25519_private_key().sign(message)),
        "key_checks": key_checks(key, collab.id),
    }
    with api(server.url, collab.members["brand"].token) as client:
        refused = client.post(f"/v1/collaborations/{collab.id}/match-keys", json=body)
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:cleanroom:problem:key-not-in-roster"
    assert generations(server, collab) == 0


def test_an_operator_member_added_after_the_roster_gets_no_wrap(
    server: ServerProcess, admin: httpx.Client, world: tuple[Collab, Homes]
) -> None:
    """The operator's member approves the policy, so the server fixes roster v2 with it;
    no other party signed v2, so no agent wraps, even one whose user accepts the key."""
    collab, homes = world
    sign_both(homes)
    brand = homes["brand"]
    evil = operator_member(admin, server, collab)
    with api(server.url, evil.token) as client:
        latest = client.get(f"/v1/collaborations/{collab.id}/policies/current")
        assert latest.status_code == 404  # suspended until the new party_admin approves
        policy_hash = client.get(f"/v1/collaborations/{collab.id}/policies/latest").json()[
            "policy_hash"
        ]
        signature = b64url_encode(evil.ed25519.sign(approval_message(collab.id, policy_hash)))
        approvals = f"/v1/collaborations/{collab.id}/policies/{policy_hash}/approvals"
        assert client.post(approvals, json={"signature": signature}).status_code == 201
        roster = client.get(f"/v1/collaborations/{collab.id}/roster").json()
    assert roster["version"] == 2 and sorted(roster["unsigned"]) == ["brand", "evil", "shop"]
    evil_fps = [
        public_key_fingerprint(evil.x25519.public_key()),
        public_key_fingerprint(evil.ed25519.public_key()),
    ]
    blind = [*accept(homes["shop"]), *(f for fp in evil_fps for f in ("--accept-fingerprint", fp))]
    before = generations(server, collab)
    code, _, err = agent("keys", "create", "--home", str(brand.path), *blind)
    assert code == 1 and "key roster v2 is not signed by every party" in err
    assert generations(server, collab) == before
    # signing v2 needs the user to accept evil's keys: without that, the agent refuses
    code, _, err = agent("keys", "roster", "--home", str(brand.path), "--yes")
    assert code == 1 and "first sight of evil's x25519 key" in err


def test_an_edited_roster_in_the_database_is_refused_by_the_agent(
    server: ServerProcess, admin: httpx.Client, world: tuple[Collab, Homes]
) -> None:
    """The operator adds its member to the signed roster v1 in the database (recomputing
    the digest): the old signatures no longer verify, so the agent wraps nothing, even
    when its user accepts the operator's fingerprints."""
    collab, homes = world
    sign_both(homes)
    brand = homes["brand"]
    evil = operator_member(admin, server, collab)
    evil_entry = RosterEntry(
        "evil",
        evil.member_id,
        public_key_fingerprint(evil.x25519.public_key()),
        public_key_fingerprint(evil.ed25519.public_key()),
    )
    rows = server.sql(
        "SELECT entries FROM key_rosters WHERE collaboration_id = :c AND version = 1",
        c=collab.id,
    )
    entries = [RosterEntry(**e) for e in json.loads(str(rows[0][0]))] + [evil_entry]
    server.tamper(
        "UPDATE key_rosters SET entries = :e, digest = :d WHERE collaboration_id = :c",
        e=json.dumps([vars(e) for e in sorted(entries)]),
        d=roster_digest(collab.id, 1, entries),
        c=collab.id,
    )
    flags = [*accept(homes["shop"]), "--accept-fingerprint", evil_entry.x25519_fingerprint]
    before = generations(server, collab)
    code, out, err = agent("keys", "create", "--home", str(brand.path), *flags)
    assert code == 1 and out == ""
    assert "key roster v1 is not signed by every party" in err
    # brand's and shop's signatures are over the old digest, and evil has none
    assert "missing or invalid: brand, evil, shop" in err
    assert generations(server, collab) == before
