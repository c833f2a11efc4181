"""``conversions``: per campaign (optionally x one exposures dimension) exposed users,
converted users, revenue (clamped cents) and spend.

A purchase converts when some kept exposure of the same user lies in
``[purchase_time - window, purchase_time]``. Attribution gives the purchase to one group:
``last_touch`` the latest such exposure, ``first_touch`` the earliest; simultaneous
exposures go to the group that sorts first (campaign, then dimension value).
"""

from __future__ import annotations

from cleanroom.engine.duck import Engine
from cleanroom.engine.model import Attribution, ContributionBounds, ConversionCell, token_column
from cleanroom.engine.templates.common import (
    bounded_cells_sql,
    bounded_purchases_sql,
    group_count,
)
from cleanroom.errors import RequestInvalid

_PICK = {
    Attribution.LAST_TOUCH: "arg_max(e.cell, (e.t, -e.cell))",
    Attribution.FIRST_TOUCH: "arg_min(e.cell, (e.t, e.cell))",
}


def conversions_sql(
    token: str, dim: str | None, attribution: Attribution, spend: bool, rank: bool = True
) -> str:
    spend_cte = (
        ",\nspend_by AS (SELECT CAST(campaign_id AS VARCHAR) AS campaign, sum(spend) AS spend"
        " FROM spend WHERE campaign_id IS NOT NULL GROUP BY 1)"
        if spend
        else ""
    )
    spend_col = "s.spend" if spend else "CAST(NULL AS DOUBLE)"
    spend_join = "LEFT JOIN spend_by s ON s.campaign = k.campaign" if spend else ""
    return f"""
WITH {bounded_cells_sql(token, dim, holdout=False, rank=rank)},
{bounded_purchases_sql(token)},
touch AS (
  SELECT p.u, p.pid, any_value(p.cents) AS cents, {_PICK[attribution]} AS cell
  FROM pur p JOIN kept_exp e ON p.u = e.u AND e.t BETWEEN p.t - $window AND p.t
  GROUP BY p.u, p.pid
),
conv AS (
  SELECT cell, count(DISTINCT u) AS converted, sum(cents) AS revenue FROM touch GROUP BY cell
),
expo AS (SELECT cell, exposed FROM exposed_per_cell){spend_cte}
SELECT k.campaign, k.dim, coalesce(x.exposed, 0), coalesce(c.converted, 0),
       coalesce(c.revenue, 0), {spend_col}
FROM keys k
LEFT JOIN expo x ON x.cell = k.cell
LEFT JOIN conv c ON c.cell = k.cell
{spend_join}
ORDER BY k.cell
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


_NOT_DIMENSIONS = frozenset({"campaign_id", "exposure_time", "holdout"})


def check_dimension(engine: Engine, by: str) -> None:
    """``by`` must be a string attribute column of the exposures dataset."""
    engine.require_column("exposures", by, "grouping by it")
    if by in _NOT_DIMENSIONS or by.startswith("token_"):
        raise RequestInvalid(f"column `{by}` cannot be a grouping dimension")
    if engine.columns("exposures")[by] != "VARCHAR":
        raise RequestInvalid(f"dimension `{by}` must be a string column")


def conversion_cells(
    engine: Engine,
    family: str,
    window_seconds: int,
    attribution: Attribution,
    bounds: ContributionBounds,
    by: str | None = None,
) -> list[ConversionCell]:
    """True (bounded, un-noised) aggregates of ``conversions``, one per group, in key order."""
    token = token_column(family)
    for view in ("exposures", "purchases"):
        engine.require_column(view, token, f"a query joined on `{family}`")
    if by is not None:
        check_dimension(engine, by)
    rank = group_count(engine, by) > bounds.max_campaigns_per_user
    sql = conversions_sql(token, by, attribution, engine.has_view("spend"), rank)
    params = {
        "window": window_seconds,
        "max_cells": bounds.max_campaigns_per_user,
        "max_purchases": bounds.max_purchases_per_user,
        "cap_cents": bounds.amount_cap_cents,
    }
    return [
        ConversionCell(
            campaign=str(row[0]),
            dimension=None if row[1] is None else str(row[1]),
            exposed=int(row[2]),
            converted=int(row[3]),
            revenue_cents=int(row[4]),
            spend=None if row[5] is None else float(row[5]),
        )
        for row in engine.fetch(sql, params)
    ]
