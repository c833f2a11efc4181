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
    CreditCell,
    CreditCells,
    CreditSettings,
    GroupKeys,
    LiftCell,
    OverlapCounts,
)
from cleanroom.engine.templates.attribution import credit_cells
from cleanroom.engine.templates.conversions import conversion_cells
from cleanroom.engine.templates.lift import lift_cells
from cleanroom.engine.templates.overlap import overlap_counts

__all__ = [
    "Attribution",
    "ContributionBounds",
    "ConversionCell",
    "ConversionCells",
    "CreditCell",
    "CreditCells",
    "CreditSettings",
    "Engine",
    "EngineSettings",
    "GroupKeys",
    "LiftCell",
    "OverlapCounts",
    "Sources",
    "conversion_cells",
    "credit_cells",
    "lift_cells",
    "overlap_counts",
]
