"""``reach_frequency``: per campaign, exposed-arm users by how often they were exposed.

A user's exposures to a campaign (rows of ``exposures``, the holdout arm excluded as in
``conversions``) are counted, capped at the frequency cap, and put in one declared
frequency bucket (the largest lower edge the capped count reaches). The user converted
in the campaign when a purchase lies in ``[t, t + window]`` of one of their kept
exposures to it (no attribution across campaigns, as in ``lift``). Each user is in at
most ``max_campaigns_per_user`` campaigns, one bucket and one converted flag in each;
purchases are not capped (one 0/1 outcome per user and campaign).
"""

from __future__ import annotations

from collections.abc import Sequence

from cleanroom.engine.bound import (
    bounded_cells_sql,
    bucket_params,
    bucket_sql,
    key_params,
    precomputed_users,
    user_sql,
)
from cleanroom.engine.dialect import DUCKDB, Dialect, quote_ident
from cleanroom.engine.model import ContributionBounds, FrequencyCell, GroupKeys, token_column
from cleanroom.engine.protocol import QueryEngine


def reach_frequency_sql(
    token: str,
    buckets: int,
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
freq AS (SELECT u, cell, least(count(*), $cap) AS n FROM kept_exp GROUP BY u, cell),
conv AS (
  SELECT DISTINCT e.u, e.cell
  FROM kept_exp e JOIN purchases p
    ON {user} = e.u AND p.{tok} IS NOT NULL
   AND p.purchase_time BETWEEN e.t AND e.t + $window
)
SELECT f.cell, {bucket_sql("f.n", "fe", buckets)} AS b,
       count(*) AS users, count(c.u) AS converted
FROM freq f LEFT JOIN conv c ON c.u = f.u AND c.cell = f.cell
GROUP BY 1, 2
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


def reach_frequency_cells(
    engine: QueryEngine,
    family: str,
    window_seconds: int,
    bounds: ContributionBounds,
    keys: GroupKeys,
    buckets: Sequence[int],
    cap: int,
) -> list[FrequencyCell]:
    """True (bounded, un-noised) users and converted users per declared campaign and
    frequency bucket (``buckets``: lower edges from 1), campaign-major in key order."""
    token = token_column(family)
    for view in ("exposures", "purchases"):
        engine.require_column(view, token, f"a query joined on `{family}`")
    if keys.values is not None:
        raise ValueError("reach_frequency groups by campaign only")
    if not buckets or buckets[0] != 1 or max(buckets) > cap:
        raise ValueError("frequency buckets start at 1 and stay within the cap")
    holdout = "holdout" in engine.columns("exposures")
    rank = len(keys.campaigns) > bounds.max_campaigns_per_user
    params = {
        **key_params(keys),
        **bucket_params("fe", buckets),
        "window": window_seconds,
        "max_cells": bounds.max_campaigns_per_user,
        "cap": cap,
    }
    found = {
        (int(r[0]), int(r[1])): (int(r[2]), int(r[3]))
        for r in engine.fetch(
            reach_frequency_sql(
                token, len(buckets), holdout, rank, engine.dialect, precomputed_users(engine, token)
            ),
            params,
        )
    }
    return [
        FrequencyCell(campaign, b, *found.get((cell, b), (0, 0)))
        for cell, campaign in enumerate(keys.campaigns, start=1)
        for b in range(len(buckets))
    ]
