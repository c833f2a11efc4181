"""``lift``: per campaign, users and converted users in the exposed and holdout arms.

A user belongs to the holdout arm of a campaign when any of their rows for it has
``holdout`` true (control users carry "ghost" exposures), else to the exposed arm. A
user converts in a campaign when a purchase lies in ``[t, t + window]`` of one of their
(possibly ghost) exposures to it; there is no attribution across campaigns, since lift
compares the arms of each campaign separately. Purchases are not capped for the
outcome: each user-campaign contributes one 0/1 outcome whatever the number of purchases.

With a spend dataset, each arm also gets its revenue: the clamped cents of the user's
bounded purchases (at most ``max_purchases_per_user`` among the attributable ones, each
clamped to ``[0, cap]``: the same bounds as ``conversions``, :func:`bounded_purchases_sql`)
that lie in the window of one of their exposures to the campaign, each purchase counted
once per campaign. One user adds at most P x cap to one arm of each kept campaign, so at
most min(C, G) x P x cap in all; and the campaign's spend (public, summed).
"""

from __future__ import annotations

from typing import Any

from cleanroom.engine.bound import (
    bounded_cells_sql,
    bounded_purchases_sql,
    key_params,
    precomputed_users,
    user_sql,
)
from cleanroom.engine.dialect import DUCKDB, Dialect
from cleanroom.engine.model import ContributionBounds, GroupKeys, LiftCell, token_column
from cleanroom.engine.protocol import QueryEngine

_REVENUE = """,
{purchases},
rev_cells AS (
  SELECT u, cell, sum(cents) AS cents FROM (
    SELECT DISTINCT e.u, e.cell, p.pid, p.cents
    FROM kept_exp e JOIN pur p ON p.u = e.u AND p.t BETWEEN e.t AND e.t + $window
  ) GROUP BY u, cell
),
spend_by AS (SELECT CAST(campaign_id AS STRING) AS campaign, sum(spend) AS spend
             FROM spend WHERE campaign_id IS NOT NULL GROUP BY 1)"""
_REVENUE_COLUMNS = """,
       coalesce(sum(rc.cents) FILTER (WHERE NOT uc.holdout), 0),
       coalesce(sum(rc.cents) FILTER (WHERE uc.holdout), 0),
       any_value(s.spend)"""
_REVENUE_JOINS = """
LEFT JOIN rev_cells rc ON rc.u = uc.u AND rc.cell = uc.cell
LEFT JOIN spend_by s ON s.campaign = k.campaign"""


def lift_sql(
    token: str,
    rank: bool = True,
    revenue: bool = False,
    dialect: Dialect = DUCKDB,
    users: frozenset[str] = frozenset(),
) -> str:
    """Per declared campaign: exposed users, exposed converted, holdout users, holdout
    converted; with ``revenue``: also exposed and holdout revenue cents and spend."""
    user = user_sql("p", token, "purchases", users, dialect)
    extra_ctes = ""
    if revenue:
        extra_ctes = _REVENUE.format(
            purchases=bounded_purchases_sql(token, dialect=dialect, users=users)
        )
    columns = _REVENUE_COLUMNS if revenue else ""
    joins = _REVENUE_JOINS if revenue else ""
    return f"""
WITH {bounded_cells_sql(token, None, holdout=True, rank=rank, dialect=dialect, users=users)},
user_cells AS (SELECT u, cell, bool_or(h) AS holdout FROM kept_exp GROUP BY u, cell),
conv_cells AS (
  SELECT DISTINCT e.u, e.cell
  FROM kept_exp e JOIN purchases p
    ON {user} = e.u AND p.purchase_time BETWEEN e.t AND e.t + $window
){extra_ctes}
SELECT k.campaign,
       count(uc.u) FILTER (WHERE NOT uc.holdout),
       count(cc.u) FILTER (WHERE NOT uc.holdout),
       count(uc.u) FILTER (WHERE uc.holdout),
       count(cc.u) FILTER (WHERE uc.holdout){columns}
FROM keys k
LEFT JOIN user_cells uc ON uc.cell = k.cell
LEFT JOIN conv_cells cc ON cc.u = uc.u AND cc.cell = uc.cell{joins}
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
    revenue = engine.has_view("spend")
    params: dict[str, object] = {
        **key_params(keys),
        "window": window_seconds,
        "max_cells": bounds.max_campaigns_per_user,
    }
    if revenue:
        params.update(
            max_purchases=bounds.max_purchases_per_user, cap_cents=bounds.amount_cap_cents
        )
    sql = lift_sql(token, rank, revenue, engine.dialect, precomputed_users(engine, token))
    return [_cell(r, revenue) for r in engine.fetch(sql, params)]


def _cell(row: tuple[Any, ...], revenue: bool) -> LiftCell:
    e, ec, h, hc = (int(v) for v in row[1:5])
    if not revenue:
        return LiftCell(str(row[0]), e, ec, h, hc)
    spend = None if row[7] is None else float(row[7])
    return LiftCell(str(row[0]), e, ec, h, hc, int(row[5]), int(row[6]), spend)
