"""``overlap``: distinct users on both sides, and on each side, in one token family.

Each user adds at most 1 to each of the three counts, so no bounding is needed.
"""

from __future__ import annotations

from cleanroom.engine.dialect import quote_ident
from cleanroom.engine.model import OverlapCounts, token_column
from cleanroom.engine.protocol import QueryEngine


def overlap_sql(token: str) -> str:
    tok = quote_ident(token)
    return f"""
WITH a AS (SELECT DISTINCT {tok} AS u FROM exposures WHERE {tok} IS NOT NULL),
     b AS (SELECT DISTINCT {tok} AS u FROM purchases WHERE {tok} IS NOT NULL)
SELECT (SELECT count(*) FROM a JOIN b ON a.u = b.u),
       (SELECT count(*) FROM a),
       (SELECT count(*) FROM b)
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


def overlap_counts(engine: QueryEngine, family: str) -> OverlapCounts:
    """True distinct-user counts of ``overlap``."""
    token = token_column(family)
    for view in ("exposures", "purchases"):
        engine.require_column(view, token, f"a query joined on `{family}`")
    matched, exposures, purchases = engine.fetch(overlap_sql(token))[0]
    return OverlapCounts(int(matched), int(exposures), int(purchases))
