"""Server settings: one pydantic-settings class, read from flags and ``CLEANROOM_*`` env vars.

Precedence: explicit keyword arguments (the CLI flags) > environment > defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GIB = 1024**3
MIB = 1024**2


class Settings(BaseSettings):
    """Everything the server needs to start; nothing else reads the environment."""

    model_config = SettingsConfigDict(env_prefix="CLEANROOM_", frozen=True, extra="forbid")

    data_dir: Path = Field(description="Directory holding the DB, datasets, keys and temp files")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite at DATA_DIR/cleanroom.db"
    )
    sqlite_wal: bool = True
    sqlite_synchronous: Literal["full", "normal"] = Field(
        default="full",
        description="full: a commit (charge, result, audit entry) survives power loss; "
        "normal: faster, the last commits may roll back after a power loss",
    )
    max_upload_bytes: int = Field(default=16 * GIB, gt=0)
    max_chunk_bytes: int = Field(default=256 * MIB, gt=0)
    max_open_uploads: int = Field(default=4, gt=0, description="Open upload sessions per member")
    upload_idle_hours: float = Field(default=24, gt=0, description="Idle sessions then expire")
    disk_reserve_bytes: int = Field(default=1 * GIB, ge=0, description="Free space kept spare")
    max_concurrent_requests: int = Field(
        default=32, gt=0, le=1000, description="Requests served at once; more wait for a turn"
    )
    busy_wait_seconds: float = Field(
        default=5, ge=0, description="How long a request waits for a turn before a 503"
    )
    log_level: str = "info"
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="Query engine: duckdb (embedded) or spark (PySpark, at spark_master)",
    )
    duckdb_memory_limit: str = Field(
        default="50%",
        pattern=r"^[0-9]+(\.[0-9]+)?(%|[KMGT]i?B)$",
        description=(
            "Memory one DuckDB query may use before it spills to DATA_DIR/tmp: a share of "
            "the machine's memory (50%) or a size (8GB)"
        ),
    )
    spark_master: str = Field(
        default="local[*]",
        min_length=1,
        description="Spark master URL when engine is spark: local[*], spark://host:7077, ...",
    )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "cleanroom.db"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.db_path}"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"

    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / "keys" / "server-ed25519.pem"
