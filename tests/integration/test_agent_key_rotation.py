"""``party-agent keys rotate`` against a real server: the previous Ed25519 key signs the
new keys, a home without that key cannot rotate, and other members notice the change."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from party_agent.home import ED25519_FILE, PartyHome
from tests.integration.agents import agent, join_homes
from tests.integration.server import ServerProcess
from tests.integration.world import Collab, make_collaboration


@pytest.fixture
def joined(
    server: ServerProcess, admin: httpx.Client, tmp_path: Path
) -> tuple[Collab, dict[str, Path]]:
    collab = make_collaboration(admin, "rotate", {"brand": "party_admin", "shop": "party_admin"})
    return collab, join_homes(server.url, collab, tmp_path)


def registered(admin: httpx.Client, collab: Collab, party: str) -> tuple[str, str]:
    members = admin.get(f"/v1/collaborations/{collab.id}/members").json()
    (member,) = [m for m in members if m["party"] == party]
    return member["x25519_fingerprint"], member["ed25519_fingerprint"]


def test_rotation_replaces_both_keys_and_others_see_the_change(
    joined: tuple[Collab, dict[str, Path]], admin: httpx.Client
) -> None:
    collab, homes = joined
    before = PartyHome.open(homes["brand"])
    old = (before.x25519_fingerprint, before.ed25519_fingerprint)
    shop = ("--home", str(homes["shop"]))
    code, _, err = agent("keys", "create", *shop, "--accept-fingerprint", old[0])
    assert code == 0, err
    code, out, err = agent("keys", "rotate", "--home", str(homes["brand"]))
    assert code == 0, err
    after = PartyHome.open(homes["brand"])
    new = (after.x25519_fingerprint, after.ed25519_fingerprint)
    assert new[0] != old[0] and new[1] != old[1]
    assert registered(admin, collab, "brand") == new
    assert f"x25519 fingerprint:  {new[0]}" in out and f"ed25519 fingerprint: {new[1]}" in out
    assert not list(homes["brand"].rglob("*.new"))
    code, out, err = agent("keys", "create", *shop)
    assert code != 0
    assert "CHANGED" in out + err


def test_a_home_without_the_previous_key_cannot_rotate_and_keeps_its_keys(
    joined: tuple[Collab, dict[str, Path]], admin: httpx.Client
) -> None:
    collab, homes = joined
    home = homes["brand"]
    stranger = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (home / ED25519_FILE).write_bytes(stranger)  # a token thief with its own key
    forged = PartyHome.open(home)
    kept = (forged.x25519_fingerprint, forged.ed25519_fingerprint)
    registered_before = registered(admin, collab, "brand")
    code, _, err = agent("keys", "rotate", "--home", str(home))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    reopened = PartyHome.open(home)
    assert (reopened.x25519_fingerprint, reopened.ed25519_fingerprint) == kept
    assert registered(admin, collab, "brand") == registered_before
    assert not list(home.rglob("*.new"))
