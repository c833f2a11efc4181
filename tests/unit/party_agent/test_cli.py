"""Where the home is without --home, and the home's defaults (``init``, ``home``)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from party_agent.cli import app
from party_agent.home import PartyHome

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_without_home_the_default_is_dot_party_agent_in_the_user_home(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PARTY_AGENT_HOME": ""}
    code, out, err = run("init", "--party", "brand", env=env)
    assert code == 0, err
    assert out.startswith(f"created party home {tmp_path / '.party-agent'} for party 'brand'")
    assert PartyHome.open(tmp_path / ".party-agent").party == "brand"


def test_party_agent_home_spares_the_option_and_the_option_wins(tmp_path: Path) -> None:
    code, _, err = run("init", "--party", "brand", "--currency", "jpy",
                       env={"PARTY_AGENT_HOME": str(tmp_path / "a")})  # fmt: skip
    assert code == 0, err
    code, out, _ = run("home", "--json", env={"PARTY_AGENT_HOME": str(tmp_path / "a")})
    shown = json.loads(out)
    assert (code, shown["party"], shown["currency"]) == (0, "brand", "JPY")
    assert shown["collaborations"] == [] and shown["default_collaboration"] is None
    code, _, err = run("home", "--home", str(tmp_path / "b"),
                       env={"PARTY_AGENT_HOME": str(tmp_path / "a")})  # fmt: skip
    assert code == 2 and "is not a party home (missing party.json)" in err


def test_home_sets_the_currency_and_refuses_a_bad_code(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert run("init", "--home", str(home), "--party", "shop")[0] == 0
    code, out, _ = run("home", "--home", str(home), "--currency", "EUR")
    assert code == 0 and "currency:               EUR" in out
    code, _, err = run("home", "--home", str(home), "--currency", "euro")
    assert (code, err) == (
        2,
        "error: unknown currency 'euro'; choose from AUD, BRL, CAD, CHF, CNY, DKK, EUR, "
        "GBP, INR, JPY, KRW, MXN, NOK, SEK, SGD, USD\n",
    )
    assert PartyHome.open(home).currency == "EUR"
    code, _, err = run("init", "--home", str(tmp_path / "x"), "--party", "p", "--currency", "1")
    assert code == 2 and not (tmp_path / "x").exists()


def test_every_command_help_has_an_example() -> None:
    commands = [
        ["init"], ["home"], ["version"], ["tokenize"], ["join"], ["keys", "create"],
        ["keys", "fetch"], ["keys", "rotate"], ["policy", "show"], ["policy", "approve"],
        ["credentials", "list"], ["credentials", "set"], ["credentials", "default"],
        ["upload"], ["datasets"], ["query", "overlap"], ["query", "conversions"],
        ["query", "lift"], ["result"], ["export"], ["budget"], ["power"],
    ]  # fmt: skip
    missing = [" ".join(c) for c in commands if "Example: party-agent" not in _help(c)]
    assert missing == []


def _help(command: list[str]) -> str:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, command
    return " ".join(result.stdout.split())


def test_init_answers_in_json(tmp_path: Path) -> None:
    code, out, err = run("init", "--home", str(tmp_path / "h"), "--party", "brand", "--json")
    assert code == 0, err
    made = json.loads(out)
    home = PartyHome.open(tmp_path / "h")
    fingerprints = {"x25519": home.x25519_fingerprint, "ed25519": home.ed25519_fingerprint}
    assert made == {"home": str(home.path), "party": "brand", **fingerprints}
