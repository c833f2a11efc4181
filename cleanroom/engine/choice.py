"""Which engine runs a query: DuckDB (:class:`EngineSettings`, the default) or Spark
(:class:`SparkSettings`), chosen by the settings value the server passes."""

from __future__ import annotations

from cleanroom.engine.duck import Engine, EngineSettings
from cleanroom.engine.protocol import QueryEngine, Sources
from cleanroom.engine.spark import SparkEngine, SparkSettings

EngineConfig = EngineSettings | SparkSettings


def open_engine(sources: Sources, config: EngineConfig | None = None) -> QueryEngine:
    """An engine with the dataset views of ``sources``; close it (or use ``with``)."""
    if isinstance(config, SparkSettings):
        return SparkEngine(sources, config)
    return Engine(sources, config)
