"""A real ``cleanroom serve`` process on a free loopback port, for integration tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TOKEN_LINE = re.compile(r"bootstrap admin token \((tok_[0-9a-f]+)\), shown once: (crt_\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    database_url: str | None = None
    port: int = 0
    admin_token: str = ""
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        self.port = free_port()
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-server-{self.port}.log"
        # -P: a `reports/` (or `policies/`) folder in the working directory must not shadow ours
        args = [sys.executable, "-P", "-m", "cleanroom", "serve", "--data-dir", str(self.data_dir)]
        args += ["--port", str(self.port)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        env = {**os.environ, **self.env}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        self._wait_ready()
        match = TOKEN_LINE.search(self.log_path.read_text())
        if match and not self.admin_token:
            self.admin_token = match.group(2)
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = self.log_path.read_text() if self.log_path else ""
                raise RuntimeError(f"server exited early:\n{log}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not become ready in 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Simulate a crash: SIGKILL, no cleanup."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def sql(self, query: str, **params: object) -> list[tuple[object, ...]]:
        """Read the server's metadata database directly (SQLite file or PostgreSQL)."""
        from sqlalchemy import create_engine, text

        url = self.database_url or f"sqlite:///{self.data_dir / 'cleanroom.db'}"
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(query), params)]
        finally:
            engine.dispose()

    def tamper(self, statement: str, **params: object) -> None:
        """Write the metadata database directly, as an operator with file access can."""
        from sqlalchemy import create_engine, text

        url = self.database_url or f"sqlite:///{self.data_dir / 'cleanroom.db'}"
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(text(statement), params)
        finally:
            engine.dispose()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path else ""
