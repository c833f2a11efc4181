"""``cleanroom admin ...`` against the real server, and ``admin init`` on a data dir."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleanroom.cli.main import app
from tests.integration.server import ServerProcess
from tests.integration.world import api

runner = CliRunner()


@pytest.fixture
def admin_env(server: ServerProcess) -> dict[str, str]:
    return {"CLEANROOM_SERVER": server.url, "CLEANROOM_ADMIN_TOKEN": server.admin_token}


def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_collaboration_member_and_revocation_through_the_cli(
    server: ServerProcess, admin_env: dict[str, str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    from policies import preset_yaml

    policy.write_text(preset_yaml("standard"))
    code, out, err = cli(
        admin_env, "admin", "create-collaboration", "--name", "cli", "--policy", str(policy)
    )
    assert code == 0, err
    collaboration = out.strip()
    assert re.fullmatch(r"col_[0-9a-f]{16}", collaboration)
    code, out, _ = cli(
        admin_env,
        "admin",
        "add-member",
        "--collaboration",
        collaboration,
        "--party",
        "brand",
        "--role",
        "party_admin",
    )
    match = re.fullmatch(r"member (mem_\w+) token \((tok_\w+)\): (crt_\S+)\n", out)
    assert code == 0 and match
    with api(server.url, match.group(3)) as member:
        assert member.get("/v1/me").json()["collaboration_id"] == collaboration
        assert cli(admin_env, "admin", "revoke-token", match.group(2))[0] == 0
        assert member.get("/v1/me").status_code == 401


def test_refusals_are_one_error_line(admin_env: dict[str, str]) -> None:
    code, _, err = cli(
        admin_env,
        "admin",
        "add-member",
        "--collaboration",
        "col_nope",
        "--party",
        "x",
        "--role",
        "analyst",
    )
    assert code == 1
    assert err == "error: no such collaboration for this token (HTTP 404)\n"
    code, _, err = cli({**admin_env, "CLEANROOM_ADMIN_TOKEN": "crt_wrong"}, "admin", "list")
    assert (code, err) == (1, "error: unknown API token (HTTP 401)\n")


def test_init_prints_one_token_once(tmp_path: Path) -> None:
    code, out, _ = cli({}, "admin", "init", "--data-dir", str(tmp_path / "d"))
    assert code == 0 and re.fullmatch(r"admin token \(tok_\w+\), shown once: crt_\S+\n", out)
    code, _, err = cli({}, "admin", "init", "--data-dir", str(tmp_path / "d"))
    assert code == 1 and "already exists" in err
    assert (tmp_path / "d" / "keys" / "server-ed25519.pem").stat().st_mode & 0o777 == 0o600
