"""Query engine: template SQL over the dataset Parquet files, run by DuckDB (default)
or Spark.

Returns *true* bounded aggregates; only :mod:`cleanroom.release` turns them into
released numbers. The engines are behind one interface (:class:`QueryEngine`,
:func:`open_engine`); engine-specific code lives in :mod:`cleanroom.engine.duck` and
:mod:`cleanroom.engine.spark`, and where their SQL differs, in
:mod:`cleanroom.engine.dialect` only.
"""

from cleanroom.engine.choice import EngineConfig, open_engine
from cleanroom.engine.duck import Engine, EngineSettings
from cleanroom.engine.model import (
    Attribution,
    ContributionBounds,
    ConversionCell,
    ConversionCells,
    CreditCell,
    CreditCells,
    CreditSettings,
    DelayCell,
    FrequencyCell,
    FunnelCell,
    GroupKeys,
    LiftCell,
    OverlapCounts,
)
from cleanroom.engine.protocol import QueryEngine, Sources
from cleanroom.engine.spark import SparkEngine, SparkSettings, spark_unavailable
from cleanroom.engine.templates.attribution import credit_cells
from cleanroom.engine.templates.conversions import conversion_cells
from cleanroom.engine.templates.funnel import funnel_cells
from cleanroom.engine.templates.lift import lift_cells
from cleanroom.engine.templates.overlap import overlap_counts
from cleanroom.engine.templates.reach_frequency import reach_frequency_cells
from cleanroom.engine.templates.time_to_conversion import time_to_conversion_cells

__all__ = [
    "Attribution",
    "ContributionBounds",
    "ConversionCell",
    "ConversionCells",
    "CreditCell",
    "CreditCells",
    "CreditSettings",
    "DelayCell",
    "Engine",
    "EngineConfig",
    "EngineSettings",
    "FrequencyCell",
    "FunnelCell",
    "GroupKeys",
    "LiftCell",
    "OverlapCounts",
    "QueryEngine",
    "Sources",
    "SparkEngine",
    "SparkSettings",
    "conversion_cells",
    "credit_cells",
    "funnel_cells",
    "lift_cells",
    "open_engine",
    "overlap_counts",
    "reach_frequency_cells",
    "spark_unavailable",
    "time_to_conversion_cells",
]
