"""``conversions`` with fractional credit: per group, exposed users and, per model, the
credited conversions (micro-credits) and credited revenue (cents) of the purchases.

The users, groups, arms and kept purchases are those of
:mod:`cleanroom.engine.templates.conversions` (the same bounding fragments). A kept
purchase's *touches* are the kept exposures of the same user in
``[purchase_time - window, purchase_time]`` (every row, so an exposure logged twice is
two touches). Each model gives every touch a raw weight ``r``; group ``c`` gets
``floor(10^6 x sum of r over c's touches / sum of r over all touches)`` micro-credits
and ``floor(cents x its micro-credits / 10^6)`` cents. Rounding down keeps every
purchase's total at most 1 credit and its clamped cents.

Touch order: by time, then key order of the group (``cell``), then milestone touches
first. The *first* touch is the first in that order; the *last* is the latest, ties to
the group first in key order (as ``first_touch`` and ``last_touch`` choose). One touch
may be both. Raw weights, with ``n`` touches:

- ``last_touch``/``first_touch``: 1 for the last (first) touch, else 0;
- ``linear``: 1;
- ``position_based`` with first/last weights ``F``, ``L`` (micro-credits) and ``m`` the
  touches that are neither first nor last: the first ``F x max(m, 1)``, the last
  ``L x max(m, 1)`` (both, when one touch is both), each other ``10^6 - F - L``: with
  ``m >= 1`` that is ``F``, ``L`` and ``(1 - F - L) / m``; with two touches ``F/(F+L)``
  and ``L/(F+L)``; one touch gets everything;
- ``time_decay`` with half-life ``h``: ``2^(-(t_last - t) / h)``, ``t_last`` the latest
  touch (so the latest weighs 1 and nothing underflows to a zero total), in whole steps
  of 2^-32 (:data:`DECAY_STEPS`), rounded down. Whole numbers add up exactly in any
  order (up to 2^21 touches per purchase), so the credits do not depend on the order
  the rows come in: the file as uploaded and its prepared sibling, sorted by user and
  time, give the same (summed as fractions, two groups with the same touches could
  differ in their last bit, and one group's credits by one);
- ``w_shaped``: roles are first touch, first milestone-stage touch, last touch; a touch
  holding ``q`` roles gets ``3 q max(m, 1)``, each of the ``m`` touches holding none
  gets 1: 30% per role and 10% shared by the rest when ``m >= 1``.

Portable SQL only (window functions, CASE, CTEs; the per-user choices only inside the
shared bounding fragments of :mod:`cleanroom.engine.bound`), so both engines run it.
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
    CreditCell,
    CreditCells,
    CreditSettings,
    GroupKeys,
    token_column,
)
from cleanroom.engine.protocol import QueryEngine
from cleanroom.engine.templates.conversions import dimension_dataset, spend_sql
from cleanroom.errors import RequestInvalid
from policies.attribution import MICRO
from protocols import DatasetKind

DECAY_STEPS = 2**32
"""A time-decay weight is a whole number of these steps (1 = ``DECAY_STEPS``)."""

_RAW = {
    Attribution.LAST_TOUCH: "CAST(is_last AS DOUBLE)",
    Attribution.FIRST_TOUCH: "CAST(is_first AS DOUBLE)",
    Attribution.LINEAR: "CAST(1 AS DOUBLE)",
    Attribution.POSITION_BASED: (
        "CAST((CASE WHEN ends_mid > 0 THEN ends_mid ELSE 1 END)"
        " * (is_first * $first_micro + is_last * $last_micro)"
        " + (CASE WHEN is_first + is_last = 0"
        " THEN 1000000 - $first_micro - $last_micro ELSE 0 END) AS DOUBLE)"
    ),
    Attribution.TIME_DECAY: (
        "CAST(floor(power(CAST(2 AS DOUBLE), -CAST(t_last - t AS DOUBLE) / $half_life)"
        f" * {DECAY_STEPS}) AS DOUBLE)"  # Spark's floor is a BIGINT: x 10^6 would overflow
    ),
    Attribution.W_SHAPED: (
        "CAST(3 * roles * (CASE WHEN w_mid > 0 THEN w_mid ELSE 1 END)"
        " + (CASE WHEN roles = 0 THEN 1 ELSE 0 END) AS DOUBLE)"
    ),
}
"""Raw weight of one touch (a row of ``counted``) under each model."""

_TOUCHES = """
touches AS (
  SELECT p.u, p.pid, p.cents, p.d, e.cell, e.t, e.s,
         row_number() OVER (PARTITION BY p.u, p.pid
                            ORDER BY e.t, e.cell, CASE WHEN e.s THEN 0 ELSE 1 END) AS fwd,
         count(*) OVER (PARTITION BY p.u, p.pid) AS n,
         max(e.t) OVER (PARTITION BY p.u, p.pid) AS t_last
  FROM pur p JOIN kept_exp e ON p.u = e.u AND e.t BETWEEN p.t - $window AND p.t
),
placed AS (
  SELECT *, row_number() OVER (PARTITION BY u, pid ORDER BY t DESC, cell, fwd DESC) AS bwd,
         min(CASE WHEN s THEN fwd END) OVER (PARTITION BY u, pid) AS lead_fwd
  FROM touches
),
roles AS (
  SELECT *, CASE WHEN fwd = 1 THEN 1 ELSE 0 END AS is_first,
         CASE WHEN bwd = 1 THEN 1 ELSE 0 END AS is_last,
         (CASE WHEN fwd = 1 THEN 1 ELSE 0 END) + (CASE WHEN bwd = 1 THEN 1 ELSE 0 END)
           + (CASE WHEN fwd = lead_fwd THEN 1 ELSE 0 END) AS roles
  FROM placed
),
counted AS (
  SELECT *,
         n - sum(CASE WHEN is_first + is_last > 0 THEN 1 ELSE 0 END)
               OVER (PARTITION BY u, pid) AS ends_mid,
         n - sum(CASE WHEN roles > 0 THEN 1 ELSE 0 END) OVER (PARTITION BY u, pid) AS w_mid
  FROM roles
)"""


def _credit_ctes(models: tuple[Attribution, ...]) -> str:
    """CTEs ``weighted`` (raw weights per touch), ``shares`` (per purchase and group),
    ``credited`` (micro-credits and cents per purchase and group) and ``conv`` (sums
    per group and purchase-dimension key)."""
    idx = range(len(models))
    raw = ", ".join(f"{_RAW[m]} AS w{i}" for i, m in enumerate(models))
    sums = ", ".join(f"sum(w{i}) AS c{i}" for i in idx)
    micro = ", ".join(
        f"CAST(floor(c{i} * {MICRO} / sum(c{i}) OVER (PARTITION BY u, pid)) AS BIGINT) AS m{i}"
        for i in idx
    )
    cents = ", ".join(
        f"sum(m{i}) AS m{i}, sum(CAST(floor(CAST(cents * m{i} AS DOUBLE) / {MICRO}) AS BIGINT))"
        f" AS r{i}"
        for i in idx
    )
    return f"""{_TOUCHES},
weighted AS (SELECT u, pid, cell, cents, d, {raw} FROM counted),
shares AS (
  SELECT u, pid, cell, max(cents) AS cents, max(d) AS d, {sums}
  FROM weighted GROUP BY u, pid, cell
),
credited AS (SELECT cell, d, cents, {micro} FROM shares),
conv AS (SELECT cell, d, {cents} FROM credited GROUP BY cell, d)"""  # noqa: S608 -- fixed text


def credit_sql(
    token: str,
    dim: str | None,
    models: tuple[Attribution, ...],
    spend: bool,
    rank: bool = True,
    purchase_dim: str | None = None,
    holdout: bool = False,
    stage: str | None = None,
    dialect: Dialect = DUCKDB,
    users: frozenset[str] = frozenset(),
) -> str:
    """Rows ``campaign, key, exposed, m0, r0, m1, r1, ..., spend`` in key order (the
    groups and ``exposed`` as :func:`cleanroom.engine.templates.conversions.conversions_sql`)."""
    spend_cte, spend_col, spend_join = spend_sql(spend)
    pkeys = ""
    if purchase_dim:
        pkeys = f",\npkeys AS (SELECT d, j FROM {dimension_keys_sql(dialect)})"  # noqa: S608 -- fixed text
    values = ", ".join(f"coalesce(c.m{i}, 0), coalesce(c.r{i}, 0)" for i in range(len(models)))
    cells = bounded_cells_sql(
        token,
        dim,
        holdout=holdout,
        rank=rank,
        exposed_only=holdout,
        stage=stage,
        dialect=dialect,
        users=users,
    )
    head = f"""
WITH {cells},
{bounded_purchases_sql(token, purchase_dim, dialect=dialect, users=users)},{_credit_ctes(models)},
expo AS (SELECT cell, exposed FROM exposed_per_cell){pkeys}{spend_cte}
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound
    if not purchase_dim:
        return f"""{head}
SELECT k.campaign, k.dim, coalesce(x.exposed, 0), {values}, {spend_col}
FROM keys k
LEFT JOIN expo x ON x.cell = k.cell
LEFT JOIN conv c ON c.cell = k.cell
{spend_join}
ORDER BY k.cell
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound
    return f"""{head}
SELECT k.campaign, pk.d, coalesce(x.exposed, 0), {values}, {spend_col}
FROM keys k CROSS JOIN pkeys pk
LEFT JOIN expo x ON x.cell = k.cell
LEFT JOIN conv c ON c.cell = k.cell AND c.d IS NOT DISTINCT FROM pk.d
{spend_join}
ORDER BY k.cell, pk.j
"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


def _check_stage(engine: QueryEngine, settings: CreditSettings) -> str | None:
    if Attribution.W_SHAPED not in settings.models:
        return None
    column = settings.stage_column
    if column is None or column not in engine.columns("exposures"):
        raise RequestInvalid(
            f"w_shaped needs the stage column `{column}` in dataset `exposures`, which has none"
        )
    if engine.columns("exposures")[column] != "VARCHAR":
        raise RequestInvalid(f"stage column `{column}` must be a string column")
    return column


def credit_cells(
    engine: QueryEngine,
    family: str,
    window_seconds: int,
    settings: CreditSettings,
    bounds: ContributionBounds,
    keys: GroupKeys,
    by: str | None = None,
) -> CreditCells:
    """True (bounded, un-noised) credited conversions and revenue per declared group,
    per model of ``settings``, in key order."""
    token = token_column(family)
    for view in ("exposures", "purchases"):
        engine.require_column(view, token, f"a query joined on `{family}`")
    side = None if by is None else dimension_dataset(engine, by)
    dim = by if side is DatasetKind.EXPOSURES else None
    purchase_dim = by if side is DatasetKind.PURCHASES else None
    if (by is None) != (keys.values is None):
        raise ValueError("the group keys must declare the values of `by`, and only then")
    stage = _check_stage(engine, settings)
    groups = len(keys.campaigns) if purchase_dim else keys.cell_count()
    rank = groups > bounds.max_campaigns_per_user
    holdout = "holdout" in engine.columns("exposures")
    spend = engine.has_view("spend")
    models = settings.models
    users = precomputed_users(engine, token)
    sql = credit_sql(
        token, dim, models, spend, rank, purchase_dim, holdout, stage, engine.dialect, users
    )
    params = {
        **key_params(keys),
        "window": window_seconds,
        "max_cells": bounds.max_campaigns_per_user,
        "max_purchases": bounds.max_purchases_per_user,
        "cap_cents": bounds.amount_cap_cents,
        "first_micro": settings.first_micro,
        "last_micro": settings.last_micro,
        "half_life": settings.half_life_seconds,
        "milestone": settings.milestone,
    }
    width = len(models)
    cells = tuple(
        CreditCell(
            campaign=str(row[0]),
            dimension=None if row[1] is None else str(row[1]),
            exposed=int(row[2]),
            credits=tuple((int(row[3 + 2 * i]), int(row[4 + 2 * i])) for i in range(width)),
            spend=None if row[3 + 2 * width] is None else float(row[3 + 2 * width]),
        )
        for row in engine.fetch(sql, params)
    )
    return CreditCells(side, models, cells)
