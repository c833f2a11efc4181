"""One server per data dir and per database; one signing key per database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.integration.postgres import fresh_database
from tests.integration.server import ServerProcess, free_port


def refusal(data_dir: Path, database_url: str | None = None) -> str:
    """Start ``cleanroom serve`` expecting it to refuse; returns its one line of stderr."""
    args = [sys.executable, "-m", "cleanroom", "serve", "--data-dir", str(data_dir)]
    args += ["--port", str(free_port())]
    if database_url:
        args += ["--database-url", database_url]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def replace_signing_key(data_dir: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (data_dir / "keys" / "server-ed25519.pem").write_bytes(pem)


def test_a_second_server_on_one_data_dir_is_refused(tmp_path: Path) -> None:
    first = ServerProcess(tmp_path / "data").start()
    try:
        line = refusal(first.data_dir)
        assert line.startswith("error: another cleanroom server (pid ")
        assert line.endswith(f"is serving {first.data_dir}; stop it first")
        assert first.process is not None and first.process.poll() is None
    finally:
        first.kill()
    first.start()  # the lock went with the process, even after kill -9
    first.stop()


def test_a_server_with_another_signing_key_is_refused(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    server.stop()
    replace_signing_key(server.data_dir)
    line = refusal(server.data_dir)
    assert line.startswith("error: the database's audit chain is signed by key ")
    assert "start it with the original key file" in line


@pytest.mark.postgres
def test_a_second_server_on_one_postgres_database_is_refused(tmp_path: Path) -> None:
    with fresh_database("cleanroom_excl") as url:
        first = ServerProcess(tmp_path / "one", database_url=url).start()
        try:
            line = refusal(tmp_path / "two", url)
            assert line.startswith("error: another cleanroom server is serving the database ")
        finally:
            first.stop()
        line = refusal(tmp_path / "two", url)  # its own data dir brought another key
        assert line.startswith("error: the database's audit chain is signed by key ")
