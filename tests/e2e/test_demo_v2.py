"""``cleanroom demo --protocol v2``: the loop double-blind, as separate processes.

No match key exists anywhere; each party's scalars stay in its home (mode 0600); the
server's datasets are the doubly blinded files; the matched count is close to the
truth (the join works); the audit log verifies; no raw identifier reaches the server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cleanroom.storage.dataset_files import PREPARED_SUFFIX, is_prepared
from protocols import DOUBLY_BLINDED_VERSION, token_version
from tests.e2e.test_demo import ROWS, _decoded_parquet, _first_leak, _secret_forms


@pytest.fixture(scope="module")
def demo_v2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("demo2") / "work"
    command = [sys.executable, "-m", "cleanroom", "demo", "--workdir", str(workdir)]
    command += ["--rows", str(ROWS), "--seed", "11", "--json", "--protocol", "v2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return workdir, json.loads(done.stdout)


def test_the_join_matches_and_the_audit_log_verifies(demo_v2: tuple[Path, dict[str, Any]]) -> None:
    _, document = demo_v2
    matched = document["results"]["overlap"]["rows"][0]
    users = matched["values"]["users"]
    assert matched["key"] == ["matched"] and users["truth"] > 100
    assert (
        users["low"] <= users["truth"] <= users["high"] or abs(users["value"] - users["truth"]) < 60
    )
    assert document["audit"]["verified"] is True


def test_no_match_key_and_scalars_stay_home(demo_v2: tuple[Path, dict[str, Any]]) -> None:
    workdir, _ = demo_v2
    for party in ("brand", "retailer"):
        home = next(p for p in workdir.rglob("party.json") if f"/{party}" in str(p)).parent
        assert not any((home / "match_keys").glob("*")) if (home / "match_keys").exists() else True
        scalars = list((home / "blinding").rglob("*.scalar"))
        assert scalars and all(p.stat().st_mode & 0o777 == 0o600 for p in scalars)
        secrets = {p.read_bytes().strip() for p in scalars}
        server_bytes = b"".join(
            p.read_bytes() for p in (workdir / "server").rglob("*") if p.is_file()
        )
        assert not any(s in server_bytes for s in secrets)


def test_the_server_holds_doubly_blinded_files_and_no_identifier(
    demo_v2: tuple[Path, dict[str, Any]],
) -> None:
    workdir, _ = demo_v2
    stored = list((workdir / "server" / "datasets").rglob("*.parquet"))
    tokened = [p for p in stored if any(n.startswith("token_") for n in pq.read_schema(p).names)]
    # the two versions, and any prepared sibling the server wrote before the demo stopped
    versions = [p for p in tokened if not is_prepared(p)]
    assert len(versions) == 2 and all(p.name.endswith(".blinded.parquet") for p in versions)
    siblings = [p for p in tokened if p not in versions]
    assert all(p.name.endswith(".blinded" + PREPARED_SUFFIX) for p in siblings)
    for path in tokened:
        for field in pq.read_schema(path):
            if field.name.startswith("token_"):
                assert token_version(field) == DOUBLY_BLINDED_VERSION
    secrets = _secret_forms(workdir)
    leaks = [
        str(p)
        for p in (workdir / "server").rglob("*")
        if p.is_file()
        and _first_leak(
            p.read_bytes() + (_decoded_parquet(p) if p.suffix == ".parquet" else b""), secrets
        )
    ]
    assert leaks == []
