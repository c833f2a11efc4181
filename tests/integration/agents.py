"""Running ``party-agent`` in-process (Typer's CliRunner), and homes that joined a server."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from party_agent.cli import app
from party_agent.home import PartyHome
from tests.integration.world import Collab

runner = CliRunner()


def agent(*args: str) -> tuple[int, str, str]:
    """``party-agent ARGS``: exit code, stdout, stderr."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def words(out: str) -> str:
    """``out`` with every run of whitespace made one space: Rich wraps a table's caption
    at the table's width, which depends on how many digits the noise drew."""
    return " ".join(out.split())


def join_homes(server_url: str, collab: Collab, root: Path) -> dict[str, Path]:
    """A fresh home ``root/<party>`` per member of ``collab``, joined with its token."""
    homes = {}
    for party, member in collab.members.items():
        home = root / party
        PartyHome.create(home, party)
        code, _, err = agent(
            "join", "--home", str(home), "--server", server_url, "--token", member.token
        )
        assert code == 0, err
        homes[party] = home
    return homes
