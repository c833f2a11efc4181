"""``time_to_conversion``: per campaign, kept purchases by delay since the attributed touch.

The purchases are those of ``conversions`` (attributable, at most
``max_purchases_per_user`` per user: :func:`cleanroom.engine.bound.bounded_purchases_sql`;
holdout-arm users excluded). Each goes to one kept exposure of the same user in
``[purchase_time - window, purchase_time]``: the latest (``last_touch``) or the earliest
(``first_touch``), ties to the campaign first in key order, the same choice as
``conversions``. Its delay ``purchase_time - exposure_time`` (0 to the window) falls in
one declared delay bucket. Each kept purchase is in exactly one cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from cleanroom.engine.bound import (
    bounded_cells_sql,
    bounded_purchases_sql,
    bucket_params,
    bucket_sql,
    key_params,
    precomputed_users,
)
from cleanroom.engine.dialect import DUCKDB, Dialect
from cleanroom.engine.model import (
    Attribution,
    ContributionBounds,
    DelayCell,
    GroupKeys,
    token_column,
)
from cleanroom.engine.protocol import QueryEngine

_ORDER = {Attribution.LAST_TOUCH: "e.t DESC, e.cell", Attribution.FIRST_TOUCH: "e.t, e.cell"}


def time_to_conversion_sql(
    token: str,
    attribution: Attribution,
    buckets: int,
    holdout: bool,
    rank: bool = True,
    dialect: Dialect = DUCKDB,
    users: frozenset[str] = frozenset(),
) -> str:
    cells = bounded_cells_sql(
        token, None, holdout=holdout, rank=rank, exposed_only=holdout, dialect=dialect, users=users
    )
    return f"""
WITH {cells},
{bounded_purchases_sql(token, dialect=dialect, users=users)},
touch AS (
  SELECT e.cell, p.t - e.t AS delay,
         row_number() OVER (PARTITION BY p.u, p.pid ORDER BY {_ORDER[attribution]}) AS pick
  FROM pur p JOIN kept_exp e ON p.u = e.u AND e.t BETWEEN p.t - $window AND p.t
)
SELECT cell, {bucket_sql("delay", "de", buckets)} AS b, count(*) AS purchases
FROM touch WHERE pick = 1
GROUP BY 1, 2
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


def time_to_conversion_cells(
    engine: QueryEngine,
    family: str,
    window_seconds: int,
    attribution: Attribution,
    bounds: ContributionBounds,
    keys: GroupKeys,
    boundaries: Sequence[int],
) -> list[DelayCell]:
    """True (bounded, un-noised) purchases per declared campaign and delay bucket
    (``boundaries``: the inner bucket boundaries in seconds, each below the window),
    campaign-major in key order."""
    token = token_column(family)
    for view in ("exposures", "purchases"):
        engine.require_column(view, token, f"a query joined on `{family}`")
    if keys.values is not None:
        raise ValueError("time_to_conversion groups by campaign only")
    edges = [0, *boundaries]
    if any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError("delay boundaries must be positive and increasing")
    holdout = "holdout" in engine.columns("exposures")
    rank = len(keys.campaigns) > bounds.max_campaigns_per_user
    params = {
        **key_params(keys),
        **bucket_params("de", edges),
        "window": window_seconds,
        "max_cells": bounds.max_campaigns_per_user,
        "max_purchases": bounds.max_purchases_per_user,
        "cap_cents": bounds.amount_cap_cents,
    }
    sql = time_to_conversion_sql(
        token,
        Attribution(attribution),
        len(edges),
        holdout,
        rank,
        engine.dialect,
        precomputed_users(engine, token),
    )
    found = {(int(r[0]), int(r[1])): int(r[2]) for r in engine.fetch(sql, params)}
    return [
        DelayCell(campaign, b, found.get((cell, b), 0))
        for cell, campaign in enumerate(keys.campaigns, start=1)
        for b in range(len(edges))
    ]
