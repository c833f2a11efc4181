"""``conversions``: per campaign (optionally x one dimension of either dataset) exposed
users, converted users, revenue (clamped cents) and spend.

Exposed means in the exposed arm: a user with any ``holdout`` row for a campaign is in
its holdout arm and counts nowhere in it (the same arms as ``lift``, which agrees with
this template on ``exposed_users``). Purchases are capped per user among the
attributable ones (:func:`cleanroom.engine.bound.bounded_purchases_sql`).

A purchase converts when some kept exposure of the same user lies in
``[purchase_time - window, purchase_time]``. Attribution gives the purchase to one group:
``last_touch`` the latest such exposure, ``first_touch`` the earliest; simultaneous
exposures go to the group that comes first in key order (campaign, then dimension key).
"""

from __future__ import annotations

from cleanroom.engine.bound import (
    bounded_cells_sql,
    bounded_purchases_sql,
    dimension_keys_sql,
    key_params,
    precomputed_users,
)
from cleanroom.engine.dialect import DUCKDB, Dialect
from cleanroom.engine.model import (
    Attribution,
    ContributionBounds,
    ConversionCell,
    ConversionCells,
    GroupKeys,
    token_column,
)
from cleanroom.engine.protocol import QueryEngine
from cleanroom.errors import RequestInvalid
from protocols import DatasetKind

_SIDES = (DatasetKind.EXPOSURES, DatasetKind.PURCHASES)


def _pick(attribution: Attribution, dialect: Dialect) -> str:
    """The attributed group of a purchase: the latest (or earliest) touch, ties to the
    group first in key order."""
    if attribution is Attribution.LAST_TOUCH:
        return f"max_by(e.cell, {dialect.pair('e.t', '-e.cell')})"
    return f"min_by(e.cell, {dialect.pair('e.t', 'e.cell')})"


def spend_sql(spend: bool) -> tuple[str, str, str]:
    """The spend CTE, the spend column and its join (or a NULL column without spend)."""
    if not spend:
        return "", "CAST(NULL AS DOUBLE)", ""
    cte = (
        ",\nspend_by AS (SELECT CAST(campaign_id AS STRING) AS campaign, sum(spend) AS spend"
        " FROM spend WHERE campaign_id IS NOT NULL GROUP BY 1)"
    )
    return cte, "s.spend", "LEFT JOIN spend_by s ON s.campaign = k.campaign"


def conversions_sql(
    token: str,
    dim: str | None,
    attribution: Attribution,
    spend: bool,
    rank: bool = True,
    purchase_dim: str | None = None,
    holdout: bool = False,
    dialect: Dialect = DUCKDB,
    users: frozenset[str] = frozenset(),
) -> str:
    """``dim`` splits groups by an exposures column; ``purchase_dim`` by a purchases
    column (then every campaign is crossed with every declared key of it, and
    ``exposed`` is the campaign's, repeated on each of its rows). With ``holdout`` (the
    exposures have the column), holdout-arm users of a campaign are not exposed to it:
    they count nowhere in it and its ghost exposures attract no purchase."""
    spend_cte, spend_col, spend_join = spend_sql(spend)
    pkeys = ""
    if purchase_dim:
        pkeys = f",\npkeys AS (SELECT d, j FROM {dimension_keys_sql(dialect)})"  # noqa: S608 -- fixed text
    cells = bounded_cells_sql(
        token, dim, holdout=holdout, rank=rank, exposed_only=holdout, dialect=dialect, users=users
    )
    pur = bounded_purchases_sql(
        token, purchase_dim, _pick(attribution, dialect), dialect=dialect, users=users
    )
    head = f"""
WITH {cells},
{pur},
conv AS (
  SELECT cell, d, count(DISTINCT u) AS converted, sum(cents) AS revenue
  FROM pur GROUP BY cell, d
),
expo AS (SELECT cell, exposed FROM exposed_per_cell){pkeys}{spend_cte}
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound
    if not purchase_dim:
        return f"""{head}
SELECT k.campaign, k.dim, coalesce(x.exposed, 0), coalesce(c.converted, 0),
       coalesce(c.revenue, 0), {spend_col}
FROM keys k
LEFT JOIN expo x ON x.cell = k.cell
LEFT JOIN conv c ON c.cell = k.cell
{spend_join}
ORDER BY k.cell
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound
    return f"""{head}
SELECT k.campaign, pk.d, coalesce(x.exposed, 0), coalesce(c.converted, 0),
       coalesce(c.revenue, 0), {spend_col}
FROM keys k CROSS JOIN pkeys pk
LEFT JOIN expo x ON x.cell = k.cell
LEFT JOIN conv c ON c.cell = k.cell AND c.d IS NOT DISTINCT FROM pk.d
{spend_join}
ORDER BY k.cell, pk.j
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


_NOT_DIMENSIONS = frozenset({"campaign_id", "exposure_time", "holdout", "purchase_time", "amount"})


def dimension_dataset(engine: QueryEngine, by: str) -> DatasetKind:
    """Which dataset ``by`` is a string attribute column of (exposures or purchases)."""
    if by in _NOT_DIMENSIONS or by.startswith("token_"):
        raise RequestInvalid(f"column `{by}` cannot be a grouping dimension")
    found = [kind for kind in _SIDES if by in engine.columns(kind)]
    if not found:
        raise RequestInvalid(
            f"dataset `exposures` has no column `{by}` and neither has dataset `purchases`,"
            " so it cannot be a grouping dimension"
        )
    if len(found) > 1:
        raise RequestInvalid(f"column `{by}` is in both datasets; rename one to group by it")
    if engine.columns(found[0])[by] != "VARCHAR":
        raise RequestInvalid(f"dimension `{by}` must be a string column")
    return found[0]


def conversion_cells(
    engine: QueryEngine,
    family: str,
    window_seconds: int,
    attribution: Attribution,
    bounds: ContributionBounds,
    keys: GroupKeys,
    by: str | None = None,
) -> ConversionCells:
    """True (bounded, un-noised) aggregates of ``conversions``, one per declared group
    (``keys``: the campaigns, and the keys of ``by`` when given), in key order."""
    token = token_column(family)
    for view in ("exposures", "purchases"):
        engine.require_column(view, token, f"a query joined on `{family}`")
    side = None if by is None else dimension_dataset(engine, by)
    dim = by if side is DatasetKind.EXPOSURES else None
    purchase_dim = by if side is DatasetKind.PURCHASES else None
    if (by is None) != (keys.values is None):
        raise ValueError("the group keys must declare the values of `by`, and only then")
    groups = len(keys.campaigns) if purchase_dim else keys.cell_count()
    rank = groups > bounds.max_campaigns_per_user  # else no user can exceed the bound
    holdout = "holdout" in engine.columns("exposures")
    spend = engine.has_view("spend")
    users = precomputed_users(engine, token)
    sql = conversions_sql(
        token, dim, attribution, spend, rank, purchase_dim, holdout, engine.dialect, users
    )
    params = {
        **key_params(keys),
        "window": window_seconds,
        "max_cells": bounds.max_campaigns_per_user,
        "max_purchases": bounds.max_purchases_per_user,
        "cap_cents": bounds.amount_cap_cents,
    }
    cells = tuple(
        ConversionCell(
            campaign=str(row[0]),
            dimension=None if row[1] is None else str(row[1]),
            exposed=int(row[2]),
            converted=int(row[3]),
            revenue_cents=int(row[4]),
            spend=None if row[5] is None else float(row[5]),
        )
        for row in engine.fetch(sql, params)
    )
    return ConversionCells(side, cells)
