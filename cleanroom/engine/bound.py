"""SQL fragments every template shares: the bounded per-user inputs.

Deterministic pseudo-random choice: when a user has more groups (or purchases) than the
bound allows, the SQL keeps the ones with the smallest ``hash(u, hash(group key))`` (or
``hash(u, purchase_time, cents, purchase dimension)``), ties broken by the group (or by
time, amount and dimension), where ``u = hash(token)``.
The choice depends only on that user's own rows, so adding or removing another user
never changes it. DuckDB's ``hash`` is stable for one DuckDB version; the server caches
results, so a repeated query is not re-drawn.

Inside the SQL a user is ``u = hash(token)`` (64 bits) rather than the 32-byte token: joins
and groupings on a BIGINT are several times faster. Two tokens sharing a 64-bit hash
(about 1e-6 for 5 million users) would be bounded together as one user (a smaller total
contribution, never a larger one) and could match each other across datasets.
"""

from __future__ import annotations

from cleanroom.engine.duck import Engine, quote_ident


def keys_sql(dim: str | None) -> str:
    """CTE ``keys``: every group (campaign, dimension value) of the whole exposures
    dataset, numbered ``cell`` in sort order, with ``kh`` = hash of the group key."""
    key_dim = f"CAST({quote_ident(dim)} AS VARCHAR)" if dim else "CAST(NULL AS VARCHAR)"
    return f"""
keys AS (
  SELECT campaign, dim, row_number() OVER (ORDER BY campaign, dim NULLS LAST) AS cell,
         hash(campaign, dim) AS kh
  FROM (SELECT DISTINCT CAST(campaign_id AS VARCHAR) AS campaign, {key_dim} AS dim
        FROM exposures WHERE campaign_id IS NOT NULL)
)"""  # noqa: S608 -- identifiers quoted and schema-checked


def bounded_cells_sql(token: str, dim: str | None, holdout: bool, rank: bool) -> str:
    """CTEs ``keys``; ``kept_exp``: exposures with a token (``u``, ``cell``, ``t``,
    holdout flag ``h``) in at most ``$max_cells`` groups per user; ``exposed_users``
    (every kept user, possibly repeated) and ``exposed_per_cell`` (distinct users per
    group).

    With ``rank``, each row gets the rank of its group among the user's groups, ordered
    by ``r = hash(u, kh)`` then ``cell``, and a flag true on one row per user and group
    (one window pass, no join back); rows of groups ranked above ``$max_cells`` are
    dropped. Without it (the caller has checked
    that the dataset has no more groups than the bound, so no user can exceed it), the
    window is skipped.
    """
    tok = quote_ident(token)
    dim_join = "true"
    if dim:
        dim_join = f"CAST(x.{quote_ident(dim)} AS VARCHAR) IS NOT DISTINCT FROM k.dim"
    flag = "coalesce(x.holdout, false)" if holdout else "false"
    rows = f"""
    SELECT hash(x.{tok}) AS u, k.cell, hash(hash(x.{tok}), k.kh) AS r,
           x.exposure_time AS t, {flag} AS h
    FROM exposures x
    JOIN keys k ON CAST(x.campaign_id AS VARCHAR) = k.campaign AND {dim_join}
    WHERE x.{tok} IS NOT NULL AND x.exposure_time IS NOT NULL"""  # noqa: S608 -- as above
    if not rank:
        return f"""{keys_sql(dim)},
kept_exp AS ({rows}
),
exposed_users AS (SELECT u FROM kept_exp),
exposed_per_cell AS (SELECT cell, count(DISTINCT u) AS exposed FROM kept_exp GROUP BY cell)"""  # noqa: S608
    return f"""{keys_sql(dim)},
ranked AS (
  SELECT u, cell, t, h,
         dense_rank() OVER w AS cell_rank,
         (lag(cell) OVER w) IS DISTINCT FROM cell AS first_in_cell
  FROM ({rows})
  WINDOW w AS (PARTITION BY u ORDER BY r, cell)
),
kept_exp AS (SELECT u, cell, t, h, first_in_cell FROM ranked WHERE cell_rank <= $max_cells),
exposed_users AS (SELECT u FROM ranked WHERE cell_rank = 1 AND first_in_cell),
exposed_per_cell AS (
  SELECT cell, count(*) AS exposed FROM kept_exp WHERE first_in_cell GROUP BY cell
)"""  # noqa: S608 -- as above


def group_count(engine: Engine, dim: str | None) -> int:
    """How many groups the exposures dataset has (decides whether ranking is needed)."""
    sql = f"WITH {keys_sql(dim)} SELECT count(*) FROM keys"  # noqa: S608 -- as above
    return int(engine.fetch(sql)[0][0])


def bounded_purchases_sql(token: str, dim: str | None = None) -> str:
    """CTE ``pur``: purchases of users in ``exposed_users``, at most ``$max_purchases`` per
    user (numbered ``pid``), with the purchases dimension ``d`` (NULL without ``dim``),
    amounts as whole cents clamped to ``[0, $cap_cents]``
    (NULL, NaN and infinite amounts count as 0). ``isfinite``, not ``isnan``: DuckDB 2.0
    folds ``isnan`` to false from Parquet statistics that exclude NaN. Either way the
    ``least``/``greatest`` clamp keeps every amount inside ``[0, cap]``."""
    tok = quote_ident(token)
    d = f"CAST(p.{quote_ident(dim)} AS VARCHAR)" if dim else "CAST(NULL AS VARCHAR)"
    return f"""
pur AS (
  SELECT u, t, cents, d,
         row_number() OVER (PARTITION BY u ORDER BY hash(u, t, cents, d), t, cents, d) AS pid
  FROM (
    SELECT hash(p.{tok}) AS u, p.purchase_time AS t, {d} AS d,
           CASE WHEN isfinite(p.amount)
                THEN CAST(least(greatest(round(p.amount * 100), 0), $cap_cents) AS BIGINT)
                ELSE 0
           END AS cents
    FROM purchases p
    WHERE p.{tok} IS NOT NULL AND p.purchase_time IS NOT NULL
      AND hash(p.{tok}) IN (SELECT u FROM exposed_users)
  )
  QUALIFY pid <= $max_purchases
)"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound
