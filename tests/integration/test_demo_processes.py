"""The demo's process helpers: the server child stops on error, a failed command becomes
one line naming the step, and a foreign --workdir is refused before anything runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cleanroom.demo.errors import DemoError
from cleanroom.demo.runner import Command, Ran, Runner
from cleanroom.demo.server_process import ServerProcess
from cleanroom.demo.workdir import prepare


def test_server_answers_then_is_stopped_when_the_block_fails(tmp_path: Path) -> None:
    layout = prepare(tmp_path / "w")
    server = ServerProcess(layout.server, layout.logs / "server.log")
    with pytest.raises(RuntimeError, match="a step failed"), server:
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
        assert server.running
        raise RuntimeError("a step failed")
    assert not server.running
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.url + "/healthz", timeout=2)
    server.stop()  # idempotent


def test_a_failed_command_is_one_line_naming_the_step(tmp_path: Path) -> None:
    layout = prepare(tmp_path / "w")
    done: list[Ran] = []
    runner = Runner(layout, done.append)
    home = str(layout.home("brand"))
    with pytest.raises(DemoError) as failure:
        runner.run(
            Command(
                "brand", "fetch the match key", "party-agent", ("keys", "fetch", "--home", home)
            )
        )
    message = str(failure.value)
    assert message.startswith("brand: fetch the match key failed: ") and "\n" not in message
    assert done == []
    ran = runner.run(
        Command("brand", "create keys", "party-agent", ("init", "--home", home, "--party", "brand"))
    )
    assert ran.shown == "party-agent init --home brand/home --party brand"
    assert done == [ran] and "x25519" in ran.stdout
    logs = sorted(p.name for p in layout.logs.iterdir())
    assert logs == ["01-brand-fetch-the-match-key.log", "02-brand-create-keys.log"]


def test_secrets_are_shown_as_placeholders(tmp_path: Path) -> None:
    runner = Runner(prepare(tmp_path / "w"), lambda ran: None)
    command = Command(
        "brand",
        "join",
        "party-agent",
        ("join", "--token", "crt_secret"),
        secrets={"crt_secret": "$BRAND_TOKEN"},
    )
    assert runner.shown(command) == "party-agent join --token $BRAND_TOKEN"


def test_demo_refuses_a_foreign_workdir_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "report.docx").write_text("someone's work")
    command = [sys.executable, "-m", "cleanroom", "demo", "--workdir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: --workdir ") and done.stderr.count("\n") == 1
    assert "not made by the demo" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx"]
