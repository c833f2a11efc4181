"""One party home in two collaborations, against the real server: join keeps both,
--collaboration and PARTY_AGENT_HOME select, a revoked token says what to ask for, and
``cleanroom admin issue-token`` + ``party-agent credentials set`` bring it back."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cleanroom.cli.main import app as cleanroom_app
from party_agent.cli import app as agent_app
from party_agent.home import PartyHome
from tests.integration.datasets import exposures_table
from tests.integration.server import ServerProcess
from tests.integration.world import Collab, make_collaboration

runner = CliRunner()


def agent(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(agent_app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def admin_cli(server: ServerProcess, *args: str) -> tuple[int, str, str]:
    env = {"CLEANROOM_SERVER": server.url, "CLEANROOM_ADMIN_TOKEN": server.admin_token}
    result = runner.invoke(cleanroom_app, ["admin", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def two(
    server: ServerProcess, admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Collab, Collab, Path]:
    first = make_collaboration(admin, "first", {"brand": "party_admin"})
    second = make_collaboration(admin, "second", {"brand": "party_admin"})
    home = tmp_path_factory.mktemp("multi") / "home"
    PartyHome.create(home, "brand")
    for collab in (first, second):
        token = collab.members["brand"].token
        code, out, err = agent(
            "join", "--home", str(home), "--server", server.url, "--token", token, "--json"
        )
        assert code == 0, err
        joined = json.loads(out)
        assert joined["collaboration_id"] == collab.id
        assert joined["default"] is (collab is first)
        assert token not in out
    assert f"the home's default stays {first.id}" in err
    return first, second, home


def test_join_keeps_both_collaborations_and_the_first_default(
    two: tuple[Collab, Collab, Path],
) -> None:
    first, second, home = two
    code, out, err = agent("credentials", "list", "--home", str(home), "--json")
    assert code == 0, err
    listed = {row["collaboration_id"]: row for row in json.loads(out)}
    assert set(listed) == {first.id, second.id}
    assert listed[first.id]["default"] and not listed[second.id]["default"]
    assert listed[second.id]["member_id"] == second.members["brand"].member_id
    assert all(c.members["brand"].token not in out for c in (first, second))
    stored = PartyHome.open(home).credentials()
    assert stored[first.id].token == first.members["brand"].token
    assert stored[second.id].token == second.members["brand"].token


def test_collaboration_option_and_home_variable_select(
    two: tuple[Collab, Collab, Path], tmp_path: Path
) -> None:
    first, second, home = two
    env = {"PARTY_AGENT_HOME": str(home)}
    code, out, err = agent("keys", "create", "--collaboration", second.id, "--json", env=env)
    assert code == 0, err
    created = json.loads(out)
    assert [w["party"] for w in created["wrapped_to"]] == ["brand"]
    key = PartyHome.open(home).match_key(second.id)
    assert created["fingerprint"] == key.fingerprint
    assert not PartyHome.open(home).has_match_key(first.id)

    file = tmp_path / "exposures.parquet"  # no kind in the metadata: the columns tell
    pq.write_table(exposures_table(second.id, rows=40, key=key), file)
    code, _, err = agent("upload", "--dataset", "exp", "--kind", "purchases", str(file), env=env)
    assert (code, err) == (
        2,
        "error: exposures.parquet says it holds exposures, not purchases; nothing was sent\n",
    )
    args = ("upload", "--collaboration", second.id, "--dataset", "exp", "--json", str(file))
    code, out, err = agent(*args, env=env)
    assert code == 0, err
    published = json.loads(out)
    assert (published["kind"], published["version"], published["rows"]) == ("exposures", 1, 40)

    code, out, err = agent("datasets", "--collaboration", second.id, "--json", env=env)
    assert code == 0, err
    [listed] = json.loads(out)
    assert (listed["name"], listed["versions"]) == ("exp", [1])
    assert listed["latest"]["sha256"] == published["sha256"]
    code, out, _ = agent("datasets", "exp", "--collaboration", second.id, env=env)
    assert code == 0 and "v1" in out and "40" in out and published["sha256"][:16] in out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert agent("datasets", env=env)[1] == "no datasets published yet\n"  # the default


def test_a_revoked_token_says_what_to_ask_for_and_a_new_one_is_stored(
    two: tuple[Collab, Collab, Path], server: ServerProcess
) -> None:
    first, second, home = two
    brand = first.members["brand"]
    code, out, _ = admin_cli(server, "revoke-token", brand.token_id, "--json")
    assert (code, json.loads(out)) == (0, {"revoked": brand.token_id})
    code, _, err = agent("budget", "--home", str(home))
    assert code == 1 and err.count("\n") == 1
    assert f"API token {brand.token_id} was revoked (token-revoked 401)" in err
    assert (
        f"ask the server admin for a new token ('cleanroom admin issue-token --collaboration "
        f"{first.id} --member {brand.member_id}'), then store it with 'party-agent credentials "
        f"set --collaboration {first.id} --token TOKEN'"
    ) in err
    assert brand.token not in err

    code, out, err = admin_cli(
        server, "issue-token", "--collaboration", first.id, "--member", "brand", "--json"
    )
    assert code == 0, err
    issued = json.loads(out)
    assert issued["member"]["id"] == brand.member_id and issued["token"].startswith("crt_")
    code, out, err = agent(
        "credentials", "set", "--home", str(home), "--collaboration", first.id,
        "--token", issued["token"],
    )  # fmt: skip
    assert code == 0, err
    assert out == f"stored a new token ({issued['token_id']}) for collaboration {first.id}\n"
    assert issued["token"] not in out
    code, out, err = agent("policy", "show", "--home", str(home))
    assert code == 0, err
    assert "waiting for: brand" in out
    stored = PartyHome.open(home).credentials()
    assert stored[second.id].token == second.members["brand"].token


def test_a_token_for_another_collaboration_is_not_stored(
    two: tuple[Collab, Collab, Path],
) -> None:
    first, second, home = two
    before = (home / "credentials.json").read_bytes()
    code, _, err = agent(
        "credentials", "set", "--home", str(home), "--collaboration", first.id,
        "--token", second.members["brand"].token,
    )  # fmt: skip
    assert (code, err) == (
        2,
        f"error: the server says this token is not for collaboration {first.id}\n",
    )
    assert (home / "credentials.json").read_bytes() == before


def test_a_failed_join_leaves_the_home_as_it_was(
    two: tuple[Collab, Collab, Path], server: ServerProcess
) -> None:
    _, _, home = two
    before = {p.name: p.read_bytes() for p in home.iterdir() if p.is_file()}
    code, _, err = agent(
        "join", "--home", str(home), "--server", server.url, "--token", "crt_not_a_token"
    )
    assert code == 1 and "unknown API token (unauthenticated 401)" in err
    assert "crt_not_a_token" not in err
    assert {p.name: p.read_bytes() for p in home.iterdir() if p.is_file()} == before


def test_default_and_policy_commands_answer_in_json(
    two: tuple[Collab, Collab, Path],
) -> None:
    first, second, home = two
    code, out, err = agent("credentials", "default", second.id, "--home", str(home), "--json")
    assert code == 0, err
    assert (json.loads(out)["collaboration_id"], json.loads(out)["default"]) == (second.id, True)
    assert PartyHome.open(home).collaboration == second.id
    code, out, err = agent("policy", "show", "--home", str(home), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["missing_approvals"] == ["brand"] and not shown["effective"]
    code, out, err = agent("policy", "approve", "--home", str(home), "--yes", "--json")
    assert code == 0, err
    approved = json.loads(out)
    assert (approved["policy_hash"], approved["effective"]) == (shown["policy_hash"], True)
    assert agent("credentials", "default", first.id, "--home", str(home))[0] == 0


def test_issue_token_for_an_unknown_member_is_a_usage_error(
    two: tuple[Collab, Collab, Path], server: ServerProcess
) -> None:
    first, _, _ = two
    code, out, err = admin_cli(
        server, "issue-token", "--collaboration", first.id, "--member", "nobody"
    )
    assert (code, out) == (2, "")
    assert err == f"error: no member 'nobody' in collaboration {first.id}\n"
