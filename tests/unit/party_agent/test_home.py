"""The party home: layout, file modes, refusal to overwrite, match keys, config."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from party_agent.credentials import Credential
from party_agent.errors import ConfigError, HomeExists, HomeNotFound, MatchKeyMissing
from party_agent.home import PartyHome, read_match_key_file
from protocols import MatchKey, public_key_fingerprint

FINGERPRINT = re.compile(r"[0-9a-f]{4}( [0-9a-f]{4}){7}")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_the_documented_layout(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path / "home", "retailer")
    assert _mode(home.path) == 0o700
    for name in ("keys/x25519.pem", "keys/ed25519.pem", "party.json"):
        assert _mode(home.path / name) == 0o600, name
    config = json.loads((home.path / "party.json").read_text())
    assert set(config) == {"party", "server", "collaboration", "created"}
    assert config["party"] == "retailer"
    assert config["server"] is None and config["collaboration"] is None
    assert (home.path / "keys/x25519.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY")


def test_keys_load_with_the_right_types_and_fingerprints(tmp_path: Path) -> None:
    home = PartyHome.open(PartyHome.create(tmp_path, "brand").path)
    assert isinstance(home.x25519_private_key(), X25519PrivateKey)
    assert isinstance(home.ed25519_private_key(), Ed25519PrivateKey)
    assert home.x25519_fingerprint == public_key_fingerprint(home.x25519_public_key())
    assert FINGERPRINT.fullmatch(home.x25519_fingerprint)
    assert FINGERPRINT.fullmatch(home.ed25519_fingerprint)
    assert home.x25519_fingerprint != home.ed25519_fingerprint


def test_create_refuses_an_existing_home_without_force(tmp_path: Path) -> None:
    PartyHome.create(tmp_path, "brand")
    with pytest.raises(HomeExists, match="already holds a party home; use --force"):
        PartyHome.create(tmp_path, "brand")


def test_force_replaces_keys_drops_credentials_keeps_match_keys(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    before = home.x25519_fingerprint
    home.store_credential("collab-1", Credential("https://cr.example", "secret-token"))
    key = MatchKey.generate()
    home.store_match_key("collab-1", key)
    again = PartyHome.create(tmp_path, "brand2", force=True)
    assert again.x25519_fingerprint != before
    assert again.party == "brand2"
    assert again.token is None
    assert again.match_key("collab-1") == key


def test_open_refuses_a_directory_that_is_not_a_home(tmp_path: Path) -> None:
    with pytest.raises(HomeNotFound, match=r"missing party\.json"):
        PartyHome.open(tmp_path)


def test_match_keys_round_trip_with_mode_0600(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    key = MatchKey.generate()
    path = home.store_match_key("summer-2026", key)
    assert path == tmp_path / "match_keys" / "summer-2026.key"
    assert _mode(path) == 0o600
    assert home.has_match_key("summer-2026")
    assert home.match_key("summer-2026") == key
    assert read_match_key_file(path) == key


def test_missing_match_key_says_how_to_get_one(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    with pytest.raises(MatchKeyMissing, match="no match key for collaboration 'c1'"):
        home.match_key("c1")


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", ".hidden", "x" * 129])
def test_collaboration_ids_must_be_safe_file_names(tmp_path: Path, bad: str) -> None:
    home = PartyHome.create(tmp_path, "brand")
    with pytest.raises(ConfigError, match="a collaboration id is 1-128 letters"):
        home.store_match_key(bad, MatchKey.generate())


def test_config_and_token_set_and_get(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    home.set_config(server="https://cr.example", collaboration="c1")
    assert (home.server, home.collaboration) == ("https://cr.example", "c1")
    assert home.token is None
    home.store_credential("c1", Credential("https://cr.example", "tkn"))
    assert home.token == "tkn"
    assert _mode(tmp_path / "credentials.json") == 0o600
    with pytest.raises(ConfigError, match="unknown party config keys: party"):
        home.set_config(party="other")


def test_bad_match_key_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_text("not hex")
    with pytest.raises(ConfigError, match="64 hexadecimal digits"):
        read_match_key_file(path)
