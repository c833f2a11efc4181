"""The DuckDB engine (embedded, the default): every DuckDB-specific line but the
dialect's (:data:`cleanroom.engine.dialect.DUCKDB`) lives here.

Templates (:mod:`cleanroom.engine.templates`) are SQL over three views, ``exposures``,
``purchases`` and ``spend``; this module creates those views over the dataset Parquet
files with ``read_parquet`` and runs the SQL with bound parameters. DuckDB spills to
``temp_directory`` when a query needs more than ``memory_limit``, so datasets larger
than memory run instead of failing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from cleanroom.engine.dialect import DUCKDB, Dialect, quote_ident
from cleanroom.engine.protocol import VIEWS, Sources, require_column

__all__ = ["Engine", "EngineSettings", "Sources", "quote_ident"]


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its cgroup's when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(text)) if text.isdigit() else total


def resolve_memory_limit(limit: str) -> str:
    """A DuckDB ``memory_limit``: a share (``"50%"``) becomes that part of
    :func:`machine_memory` in MiB; a size (``"8GB"``) is passed on as it is."""
    if not limit.endswith("%"):
        return limit
    share = float(limit[:-1]) / 100
    if not 0 < share <= 1:
        raise ValueError(f"a memory share must be above 0% and at most 100%, got {limit}")
    return f"{int(machine_memory() * share) >> 20}MiB"


@dataclass(frozen=True)
class EngineSettings:
    """Resource limits for one query: DuckDB ``memory_limit`` (a share of the machine's
    memory, ``"50%"``, the default, or a size, ``"8GB"``), where it spills
    (``temp_directory``), and worker ``threads`` (``None``: DuckDB's default).

    Half the memory by default, not a fixed 1 GB: a 30M x 30M conversions query needs
    several GB, and spilling it doubled its CPU time (issue 17); the other half is left
    for the server, the page cache and a concurrent query."""

    memory_limit: str = "50%"
    temp_directory: Path | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")
        resolve_memory_limit(self.memory_limit)


class Engine:
    """One DuckDB connection with the dataset views (a :class:`QueryEngine`); use as a
    context manager."""

    dialect: Dialect = DUCKDB

    def __init__(self, sources: Sources, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self._con = duckdb.connect(":memory:", config=self._config())
        self._columns: dict[str, dict[str, str]] = {}
        for view in VIEWS:
            paths = sources.paths(view)
            if paths:
                self._create_view(view, paths)

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"memory_limit": resolve_memory_limit(self.settings.memory_limit)}
        if self.settings.temp_directory is not None:
            self.settings.temp_directory.mkdir(parents=True, exist_ok=True)
            config["temp_directory"] = str(self.settings.temp_directory)
        if self.settings.threads is not None:
            config["threads"] = self.settings.threads
        return config

    def _create_view(self, view: str, paths: Sequence[Path]) -> None:
        files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
        self._con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet([{files}])")  # noqa: S608 -- paths are server-side files, quoted
        described = self._con.execute(f"DESCRIBE {view}").fetchall()
        self._columns[view] = {str(row[0]): str(row[1]) for row in described}

    def has_view(self, view: str) -> bool:
        return view in self._columns

    def columns(self, view: str) -> dict[str, str]:
        """Column name -> DuckDB type name of a dataset view (empty if not loaded)."""
        return dict(self._columns.get(view, {}))

    def require_column(self, view: str, column: str, needed_by: str) -> None:
        require_column(self._columns.get(view, {}), view, column, needed_by)

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement with named ``$parameters`` (those it does not mention are
        left out, as DuckDB refuses unused ones); return all rows."""
        used = {name: value for name, value in (params or {}).items() if f"${name}" in sql}
        rows: list[tuple[Any, ...]] = self._con.execute(sql, used).fetchall()
        return rows

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
