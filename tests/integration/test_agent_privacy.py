"""The real ``party-agent`` process: exit codes, and no raw identifier anywhere it writes.

The privacy test runs the agent as a subprocess (``python -m party_agent``) with its own
TMPDIR, then scans every byte of the output file, the party home, the temp directory
and the captured stdout/stderr for each raw email and phone, its normalized form, and
their unsalted SHA-256 (hex text and raw digest bytes). None may appear.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.integration.agent_data import COLLABORATION, MAPPING, make_party, secret_forms, write_csv


def agent(*args: str | Path, tmpdir: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "TMPDIR": str(tmpdir), "COLUMNS": "200"}
    command = [sys.executable, "-m", "party_agent", *map(str, args)]
    return subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)


def test_no_raw_identifier_or_its_sha256_leaves_the_agent(tmp_path: Path) -> None:
    work, scratch = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    scratch.mkdir()
    bad_attribute = MAPPING.replace("type: float", "type: int")
    party = make_party(work)
    (work / "strict.yaml").write_text(bad_attribute)
    source = tmp_path / "in.csv"
    records = write_csv(source, 400)
    out = work / "out.parquet"
    common = ["--home", party.home, "--in", source, "--match-key-file", party.key_file,
              "--collaboration", COLLABORATION, "--batch-size", "64"]  # fmt: skip
    tokenize = ["tokenize", *common, "--mapping"]
    runs = [
        agent(*tokenize, party.mapping, "--out", out, tmpdir=scratch),
        agent(*tokenize, party.mapping, "--out", work / "j.parquet", "--json", tmpdir=scratch),
        agent(*tokenize, work / "strict.yaml", "--out", work / "x.parquet", tmpdir=scratch),
    ]
    assert [run.returncode for run in runs] == [0, 0, 1]
    assert pq.read_metadata(out).num_rows > 300
    written = [path for path in tmp_path.rglob("*") if path.is_file() and path != source]
    assert out in written and not (work / "x.parquet").exists()
    blobs = [path.read_bytes() for path in written]
    blobs += [run.stdout for run in runs] + [run.stderr for run in runs]
    secrets = secret_forms(records)
    assert len(secrets) > 1000
    leaks = sorted(s[:6] for s in secrets if any(s in blob for blob in blobs))
    assert leaks == []


def test_subprocess_exit_codes_and_one_line_errors(tmp_path: Path) -> None:
    init = agent("init", "--home", tmp_path / "home", "--party", "brand", tmpdir=tmp_path)
    assert init.returncode == 0
    assert b"x25519 (match-key wrapping) fingerprint:" in init.stdout
    again = agent("init", "--home", tmp_path / "home", "--party", "brand", tmpdir=tmp_path)
    assert (again.returncode, again.stderr.count(b"\n")) == (2, 1)
    assert again.stderr.startswith(b"error: ")
    usage = agent("tokenize", "--home", tmp_path / "home", tmpdir=tmp_path)
    assert usage.returncode == 2
    assert usage.stderr == b"error: Missing option '--in'.\n"
    unknown = agent("tokenise", tmpdir=tmp_path)
    assert unknown.returncode == 2 and unknown.stderr.startswith(b"error: No such command")
