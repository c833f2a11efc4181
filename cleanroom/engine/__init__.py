"""Query engine: template SQL over the dataset Parquet files, run by DuckDB.

Returns *true* bounded aggregates; only :mod:`cleanroom.release` turns them into
released numbers. DuckDB-specific code lives in :mod:`cleanroom.engine.duck` only.
"""

from cleanroom.engine.duck import Engine, EngineSettings, Sources
from cleanroom.engine.model import (
    Attribution,
    ContributionBounds,
    ConversionCell,
    ConversionCells,
    DelayCell,
    FrequencyCell,
    FunnelCell,
    GroupKeys,
    LiftCell,
    OverlapCounts,
)
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
    "DelayCell",
    "Engine",
    "EngineSettings",
    "FrequencyCell",
    "FunnelCell",
    "GroupKeys",
    "LiftCell",
    "OverlapCounts",
    "Sources",
    "conversion_cells",
    "funnel_cells",
    "lift_cells",
    "overlap_counts",
    "reach_frequency_cells",
    "time_to_conversion_cells",
]
