"""The engine interface the templates run on: DuckDB (embedded, the default) or Spark.

A :class:`QueryEngine` holds the dataset views ``exposures``, ``purchases`` and ``spend``
over the Parquet files of one query and runs template SQL with bound parameters. Each
implementation says how it spells what the engines spell differently
(:attr:`QueryEngine.dialect`, :mod:`cleanroom.engine.dialect`); the templates never
name an engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from cleanroom.engine.dialect import Dialect
from cleanroom.errors import RequestInvalid

VIEWS = ("exposures", "purchases", "spend")


class QueryEngine(Protocol):
    """One query's connection to an engine with the dataset views; a context manager."""

    dialect: Dialect

    def has_view(self, view: str) -> bool:
        """Whether the query has a dataset for ``view``."""
        ...

    def columns(self, view: str) -> dict[str, str]:
        """Column name -> DuckDB type name (``VARCHAR``, ``BIGINT``, ``DOUBLE``,
        ``BOOLEAN``, ``BLOB``) of a dataset view, whatever the engine (empty if not
        loaded)."""
        ...

    def require_column(self, view: str, column: str, needed_by: str) -> None:
        """Raise :class:`cleanroom.errors.RequestInvalid` when ``view`` lacks ``column``."""
        ...

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement with named ``$parameters``; return all rows as tuples."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> QueryEngine: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


@dataclass(frozen=True)
class Sources:
    """The Parquet files of each dataset a query reads (one dataset may be several files)."""

    exposures: tuple[Path, ...]
    purchases: tuple[Path, ...]
    spend: tuple[Path, ...] = field(default=())

    def paths(self, view: str) -> tuple[Path, ...]:
        paths: tuple[Path, ...] = getattr(self, view)
        return paths


def require_column(columns: dict[str, str], view: str, column: str, needed_by: str) -> None:
    """The one wording of a missing column, for every engine."""
    if column not in columns:
        raise RequestInvalid(f"dataset `{view}` has no column `{column}`, which {needed_by} needs")
