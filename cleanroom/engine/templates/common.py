"""SQL fragments every template shares: the bounded per-user inputs.

Deterministic pseudo-random choice: when a user has more groups (or purchases) than the
bound allows, the SQL keeps the ones with the smallest ``hash(token, group key)`` (or
``hash(token, purchase_time, cents)``), ties broken by the group key (or time, amount).
The choice depends only on that user's own rows, so adding or removing another user
never changes it. DuckDB's ``hash`` is stable for one DuckDB version; the server caches
results, so a repeated query is not re-drawn.

Inside the SQL a user is ``u = hash(token)`` (64 bits) rather than the 32-byte token: joins
and groupings on a BIGINT are several times faster. Two tokens sharing a 64-bit hash
(about 1e-6 for 5 million users) would be bounded together as one user (a smaller total
contribution, never a larger one) and could match each other across datasets.
"""

from __future__ import annotations

from cleanroom.engine.duck import quote_ident


def bounded_cells_sql(token: str, dim: str | None, holdout: bool) -> str:
    """CTEs over the exposures view.

    ``keys``: every group (campaign, dimension value) of the whole exposures dataset,
    numbered ``cell`` in sort order, with ``kh`` = hash of the group key; ``ranked``:
    exposures with a token, each with ``cell_rank`` (the rank of its group among the
    user's groups, ordered by ``r = hash(u, kh)`` then ``cell``) and ``first_in_cell`` (true
    on exactly one row per user and group); ``kept_exp``: exposures of the user's first
    ``$max_cells`` groups. One window pass, no join back: at 10M rows this is the
    cheapest form DuckDB 2.0 runs.
    """
    tok = quote_ident(token)
    key_dim = f"CAST({quote_ident(dim)} AS VARCHAR)" if dim else "CAST(NULL AS VARCHAR)"
    dim_join = "true"
    if dim:
        dim_join = f"CAST(x.{quote_ident(dim)} AS VARCHAR) IS NOT DISTINCT FROM k.dim"
    flag = "coalesce(x.holdout, false)" if holdout else "false"
    return f"""
keys AS (
  SELECT campaign, dim, row_number() OVER (ORDER BY campaign, dim NULLS LAST) AS cell,
         hash(campaign, dim) AS kh
  FROM (SELECT DISTINCT CAST(campaign_id AS VARCHAR) AS campaign, {key_dim} AS dim
        FROM exposures WHERE campaign_id IS NOT NULL)
),
ranked AS (
  SELECT u, cell, t, h,
         dense_rank() OVER w AS cell_rank,
         (lag(cell) OVER w) IS DISTINCT FROM cell AS first_in_cell
  FROM (
    SELECT hash(x.{tok}) AS u, k.cell, hash(hash(x.{tok}), k.kh) AS r,
           x.exposure_time AS t, {flag} AS h
    FROM exposures x
    JOIN keys k ON CAST(x.campaign_id AS VARCHAR) = k.campaign AND {dim_join}
    WHERE x.{tok} IS NOT NULL AND x.exposure_time IS NOT NULL
  )
  WINDOW w AS (PARTITION BY u ORDER BY r, cell)
),
kept_exp AS (
  SELECT u, cell, t, h, cell_rank, first_in_cell FROM ranked WHERE cell_rank <= $max_cells
)"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


def bounded_purchases_sql(token: str) -> str:
    """CTE ``pur``: purchases of users in ``kept_exp``, at most ``$max_purchases`` per
    user (numbered ``pid``), amounts as whole cents clamped to ``[0, $cap_cents]``
    (NULL, NaN and infinite amounts count as 0). ``isfinite``, not ``isnan``: DuckDB 2.0
    folds ``isnan`` to false from Parquet statistics that exclude NaN. Either way the
    ``least``/``greatest`` clamp keeps every amount inside ``[0, cap]``."""
    tok = quote_ident(token)
    return f"""
pur AS (
  SELECT u, t, cents,
         row_number() OVER (PARTITION BY u ORDER BY hash(u, t, cents), t, cents) AS pid
  FROM (
    SELECT hash(p.{tok}) AS u, p.purchase_time AS t,
           CASE WHEN isfinite(p.amount)
                THEN CAST(least(greatest(round(p.amount * 100), 0), $cap_cents) AS BIGINT)
                ELSE 0
           END AS cents
    FROM purchases p
    WHERE p.{tok} IS NOT NULL AND p.purchase_time IS NOT NULL
      AND hash(p.{tok}) IN (SELECT u FROM kept_exp WHERE cell_rank = 1 AND first_in_cell)
  )
  QUALIFY pid <= $max_purchases
)"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound
