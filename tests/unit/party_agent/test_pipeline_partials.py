"""Tokenize removes the temporary files that killed runs left next to their output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from party_agent.pipeline import remove_stale_partials


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_only_partials_of_gone_writers_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "tokens.parquet"
    mine = tmp_path / f".tokens.parquet.{os.getpid()}.0a1b2c3d.partial"
    killed = tmp_path / f".tokens.parquet.{dead_pid()}.0a1b2c3d.partial"
    old_style = tmp_path / ".tokens.parquet.12345678.partial"
    other_output = tmp_path / f".other.parquet.{dead_pid()}.0a1b2c3d.partial"
    for path in (mine, killed, old_style, other_output):
        path.write_bytes(b"half a file")
    assert remove_stale_partials(out) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other_output.name])
