"""``funnel``: per campaign, exposed-arm users by the deepest stage they reached.

Stages, each inside the one before: **exposed** (a kept exposure to the campaign, the
holdout arm excluded as in ``conversions``); **matched** (any purchase at all, at any
time); **converted** (a purchase in ``[t, t + window]`` of one of their kept exposures
to the campaign, as in ``lift``); **repeated** (a purchase strictly after the first
converting purchase ``tc`` and at most ``tc + horizon``). Each user is in at most
``max_campaigns_per_user`` campaigns and in exactly one deepest-stage cell of each.
"""

from __future__ import annotations

from cleanroom.engine.bound import bounded_cells_sql, key_params, precomputed_users, user_sql
from cleanroom.engine.dialect import DUCKDB, Dialect, quote_ident
from cleanroom.engine.model import ContributionBounds, FunnelCell, GroupKeys, token_column
from cleanroom.engine.protocol import QueryEngine


def funnel_sql(
    token: str,
    holdout: bool,
    rank: bool = True,
    dialect: Dialect = DUCKDB,
    users: frozenset[str] = frozenset(),
) -> str:
    tok = quote_ident(token)
    user = user_sql("p", token, "purchases", users, dialect)
    cells = bounded_cells_sql(
        token, None, holdout=holdout, rank=rank, exposed_only=holdout, dialect=dialect, users=users
    )
    return f"""
WITH {cells},
buys AS (
  SELECT {user} AS u, p.purchase_time AS t FROM purchases p
  WHERE p.{tok} IS NOT NULL AND p.purchase_time IS NOT NULL
),
users AS (SELECT DISTINCT u, cell FROM kept_exp),
buyers AS (SELECT DISTINCT u FROM buys),
first_conv AS (
  SELECT e.u, e.cell, min(b.t) AS tc
  FROM kept_exp e JOIN buys b ON b.u = e.u AND b.t BETWEEN e.t AND e.t + $window
  GROUP BY e.u, e.cell
),
repeats AS (
  SELECT DISTINCT f.u, f.cell
  FROM first_conv f JOIN buys b ON b.u = f.u AND b.t > f.tc AND b.t <= f.tc + $horizon
),
stages AS (
  SELECT x.cell,
         CASE WHEN r.u IS NOT NULL THEN 3 WHEN f.u IS NOT NULL THEN 2
              WHEN y.u IS NOT NULL THEN 1 ELSE 0 END AS s
  FROM users x
  LEFT JOIN buyers y ON y.u = x.u
  LEFT JOIN first_conv f ON f.u = x.u AND f.cell = x.cell
  LEFT JOIN repeats r ON r.u = x.u AND r.cell = x.cell
)
SELECT cell, s, count(*) FROM stages GROUP BY 1, 2
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


def funnel_cells(
    engine: QueryEngine,
    family: str,
    window_seconds: int,
    horizon_seconds: int,
    bounds: ContributionBounds,
    keys: GroupKeys,
) -> list[FunnelCell]:
    """True (bounded, un-noised) deepest-stage counts per declared campaign, in key order."""
    token = token_column(family)
    for view in ("exposures", "purchases"):
        engine.require_column(view, token, f"a query joined on `{family}`")
    if keys.values is not None:
        raise ValueError("funnel groups by campaign only")
    holdout = "holdout" in engine.columns("exposures")
    rank = len(keys.campaigns) > bounds.max_campaigns_per_user
    params = {
        **key_params(keys),
        "window": window_seconds,
        "horizon": horizon_seconds,
        "max_cells": bounds.max_campaigns_per_user,
    }
    found = {
        (int(r[0]), int(r[1])): int(r[2])
        for r in engine.fetch(
            funnel_sql(token, holdout, rank, engine.dialect, precomputed_users(engine, token)),
            params,
        )
    }
    return [
        FunnelCell(campaign, (found.get((cell, 0), 0), found.get((cell, 1), 0),
                              found.get((cell, 2), 0), found.get((cell, 3), 0)))
        for cell, campaign in enumerate(keys.campaigns, start=1)
    ]  # fmt: skip
