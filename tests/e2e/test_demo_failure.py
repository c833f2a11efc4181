"""A demo step that fails mid-run: one ``error:`` line naming the step, a non-zero exit,
nothing on stdout, and no server left running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(int(entry.name))
    return found


def test_a_refused_upload_stops_the_demo_and_its_server(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    # The server inherits the environment: a 1 kB upload limit refuses every dataset.
    env = {**os.environ, "CLEANROOM_MAX_UPLOAD_BYTES": "1000"}
    command = [sys.executable, "-m", "cleanroom", "demo", "--workdir", str(workdir)]
    command += ["--rows", "500", "--json"]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=180, check=False
    )
    assert done.returncode == 1 and done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "upload" in last and "failed: " in last
    assert done.stderr.count("error:") == 1
    assert "server.log" in {p.name for p in (workdir / "logs").iterdir()}
    assert _processes_mentioning(str(workdir / "server")) == []
