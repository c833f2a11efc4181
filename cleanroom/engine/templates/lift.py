"""``lift``: per campaign, users and converted users in the exposed and holdout arms.

A user belongs to the holdout arm of a campaign when any of their rows for it has
``holdout`` true (control users carry "ghost" exposures), else to the exposed arm. A
user converts in a campaign when a purchase lies in ``[t, t + window]`` of one of their
(possibly ghost) exposures to it; there is no attribution across campaigns, since lift
compares the arms of each campaign separately. Purchases are not capped here: each
user-campaign contributes one 0/1 outcome whatever the number of purchases.
"""

from __future__ import annotations

from cleanroom.engine.bound import bounded_cells_sql, key_params
from cleanroom.engine.dialect import DUCKDB, Dialect, quote_ident
from cleanroom.engine.model import ContributionBounds, GroupKeys, LiftCell, token_column
from cleanroom.engine.protocol import QueryEngine


def lift_sql(token: str, rank: bool = True, dialect: Dialect = DUCKDB) -> str:
    user = dialect.user_id(f"p.{quote_ident(token)}")
    return f"""
WITH {bounded_cells_sql(token, None, holdout=True, rank=rank, dialect=dialect)},
user_cells AS (SELECT u, cell, bool_or(h) AS holdout FROM kept_exp GROUP BY u, cell),
conv_cells AS (
  SELECT DISTINCT e.u, e.cell
  FROM kept_exp e JOIN purchases p
    ON {user} = e.u AND p.purchase_time BETWEEN e.t AND e.t + $window
)
SELECT k.campaign,
       count(uc.u) FILTER (WHERE NOT uc.holdout),
       count(cc.u) FILTER (WHERE NOT uc.holdout),
       count(uc.u) FILTER (WHERE uc.holdout),
       count(cc.u) FILTER (WHERE uc.holdout)
FROM keys k
LEFT JOIN user_cells uc ON uc.cell = k.cell
LEFT JOIN conv_cells cc ON cc.u = uc.u AND cc.cell = uc.cell
GROUP BY k.cell, k.campaign
ORDER BY k.cell
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


def lift_cells(
    engine: QueryEngine,
    family: str,
    window_seconds: int,
    bounds: ContributionBounds,
    keys: GroupKeys,
) -> list[LiftCell]:
    """True (bounded, un-noised) arm counts of ``lift``, one per declared campaign of
    ``keys``, in key order."""
    token = token_column(family)
    for view in ("exposures", "purchases"):
        engine.require_column(view, token, f"a query joined on `{family}`")
    engine.require_column("exposures", "holdout", "the lift template")
    if keys.values is not None:
        raise ValueError("lift groups by campaign only")
    rank = len(keys.campaigns) > bounds.max_campaigns_per_user
    params = {
        **key_params(keys),
        "window": window_seconds,
        "max_cells": bounds.max_campaigns_per_user,
    }
    return [
        LiftCell(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]))
        for r in engine.fetch(lift_sql(token, rank, engine.dialect), params)
    ]
