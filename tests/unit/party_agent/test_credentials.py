"""One home, several collaborations: per-collaboration credentials, migration, atomicity."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from party_agent import home as home_module
from party_agent.credentials import Credential
from party_agent.errors import ConfigError
from party_agent.home import PartyHome

A = Credential("https://a.example", "crt_secret_a", "mem_a", "brand", "party_admin")
B = Credential("https://b.example", "crt_secret_b", "mem_b", "brand", "analyst")


def _file(home: PartyHome) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((home.path / "credentials.json").read_text())
    return loaded


def test_a_second_collaboration_keeps_the_first_and_its_default(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    assert home.store_credential("col_a", A) is True
    assert home.store_credential("col_b", B) is False
    assert home.collaboration == "col_a" and home.server == A.server
    assert home.credentials() == {"col_a": A, "col_b": B}
    assert home.credential() == A and home.credential("col_b") == B
    assert home.token == "crt_secret_a"
    assert stat.S_IMODE((home.path / "credentials.json").stat().st_mode) == 0o600


def test_make_default_and_set_default_switch_the_default(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    home.store_credential("col_a", A)
    assert home.store_credential("col_b", B, make_default=True) is True
    assert (home.collaboration, home.server) == ("col_b", B.server)
    home.set_default("col_a")
    assert (home.collaboration, home.server) == ("col_a", A.server)
    with pytest.raises(ConfigError, match=r"no credentials for collaboration col_x \(it holds: "):
        home.set_default("col_x")


def test_storing_a_new_token_replaces_only_that_collaboration(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    home.store_credential("col_a", A)
    home.store_credential("col_b", B)
    renewed = Credential(A.server, "crt_renewed", "mem_a")
    home.store_credential("col_a", renewed)
    assert home.credentials() == {"col_a": renewed, "col_b": B}


def test_an_old_single_token_home_is_migrated_on_first_use(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    home.set_config(server="https://old.example", collaboration="col_old")
    (home.path / "credentials.json").write_text(json.dumps({"token": "crt_old"}))
    assert home.credentials() == {"col_old": Credential("https://old.example", "crt_old")}
    assert _file(home) == {
        "version": 2,
        "collaborations": {"col_old": {"server": "https://old.example", "token": "crt_old"}},
    }
    home.store_credential("col_new", B)
    assert set(home.credentials()) == {"col_old", "col_new"}
    assert home.collaboration == "col_old"


def test_a_failed_write_leaves_the_credentials_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = PartyHome.create(tmp_path, "brand")
    home.store_credential("col_a", A)
    before = (home.path / "credentials.json").read_bytes()

    def broken(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(home_module.os, "replace", broken)
    with pytest.raises(OSError):
        home.store_credential("col_b", B)
    assert (home.path / "credentials.json").read_bytes() == before
    assert [p.name for p in home.path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_token_never_shows_in_a_repr(tmp_path: Path) -> None:
    assert "crt_secret_a" not in repr(A)
    home = PartyHome.create(tmp_path, "brand")
    home.store_credential("col_a", A)
    assert "crt_secret_a" not in repr(home.credentials())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "is not a credentials file"),
        ('{"collaborations": {"col_a": {"server": 1}}}', "needs a server and a token"),
        ("not json", "is not a credentials file"),
    ],
)
def test_a_broken_credentials_file_is_a_config_error(
    tmp_path: Path, text: str, message: str
) -> None:
    home = PartyHome.create(tmp_path, "brand")
    (home.path / "credentials.json").write_text(text)
    with pytest.raises(ConfigError, match=message):
        home.credentials()


def test_not_joined_names_what_the_home_holds(tmp_path: Path) -> None:
    home = PartyHome.create(tmp_path, "brand")
    assert "has not joined a collaboration; run 'party-agent join'" in home.not_joined(None)
    home.store_credential("col_a", A)
    message = home.not_joined("col_b")
    assert "no credentials for collaboration col_b (it holds: col_a)" in message
    assert "crt_" not in message
