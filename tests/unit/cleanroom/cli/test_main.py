"""Every ``cleanroom`` command's --help shows an example."""

from __future__ import annotations

from typer.testing import CliRunner

from cleanroom.cli.main import app as cleanroom_app

runner = CliRunner()


def test_every_cleanroom_command_help_has_an_example() -> None:
    commands = [
        ["version"], ["serve"], ["demo"], ["policy", "check"], ["policy", "diff"],
        ["policy", "preset"], ["audit", "export"], ["audit", "verify"], ["audit", "report"],
        ["admin", "init"], ["admin", "migrate"], ["admin", "create-collaboration"],
        ["admin", "add-member"], ["admin", "issue-token"], ["admin", "revoke-token"],
        ["admin", "list"],
    ]  # fmt: skip
    missing = []
    for command in commands:
        result = runner.invoke(cleanroom_app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        if "Example: cleanroom" not in " ".join(result.stdout.split()):
            missing.append(" ".join(command))
    assert missing == []
