"""SQL fragments every template shares: the declared group keys and the bounded per-user
inputs.

The groups (``keys``) are the policy's declared key lists, bound as parameters
(:func:`key_params`); nothing here reads them from a dataset. A row whose campaign is
not declared belongs to no group; a row whose dimension value is not declared goes to
the ``other`` key when there is one, and to no group otherwise.

Deterministic pseudo-random choice: when a user has more groups (or purchases) than the
bound allows, the SQL keeps the ones with the smallest ``digest(u, kh)`` (or
``digest(u, purchase_time, cents, purchase dimension)``), ties broken by the group (or by
time, amount and dimension), where ``kh = digest(campaign, dimension key)`` and
``digest`` is the hex MD5 of its parts as text (:func:`cleanroom.engine.dialect.digest`).
The choice depends only on that user's own rows, so adding or removing another user
never changes it, and DuckDB and Spark compute the same digests, so both engines keep
the same rows.

Inside the SQL a user is ``u`` = the token's last 60 bits as a BIGINT
(:meth:`~cleanroom.engine.dialect.Dialect.user_id`) rather than the 32-byte token: joins
and groupings on a BIGINT are several times faster. Two tokens sharing those 60 bits
(about 1e-5 for 5 million users) would be bounded together as one user (a smaller total
contribution, never a larger one) and could match each other across datasets.

A dataset published since issue 17 carries that number as a BIGINT column
``_user_<family>`` (:func:`cleanroom.uploads.prepare.prepare_for_queries`), so a query
reads 8 bytes per row instead of slicing and casting the token; the SQL uses it where the
view has it (:func:`precomputed_users`, :func:`user_sql`) and computes the same number
otherwise, so datasets published before run unchanged and give the same result.
"""

from __future__ import annotations

from collections.abc import Sequence

from cleanroom.engine.dialect import Dialect, digest, quote_ident
from cleanroom.engine.model import GroupKeys
from cleanroom.engine.protocol import QueryEngine

USER_PREFIX = "_user_"
"""Prefix of the precomputed user column: no policy dimension can start with ``_``."""


def user_column(token: str) -> str:
    """The precomputed user column of token column ``token_<family>``."""
    return USER_PREFIX + token.removeprefix("token_")


FIRSTS = "first rows"
"""Marks, in :func:`precomputed_users`, exposures that carry the first-row flags."""


def first_columns(token: str) -> tuple[str, str]:
    """The exposures flags of ``token``'s users: one row per user, one per user and
    campaign (among rows with a token and a time)."""
    family = token.removeprefix("token_")
    return f"_first_{family}", f"_first_{family}_campaign"


def precomputed_users(engine: QueryEngine, token: str) -> frozenset[str]:
    """The views whose dataset carries ``token``'s user column as a BIGINT, and
    :data:`FIRSTS` when the exposures also carry its first-row flags as BOOLEANs (an
    uploaded column is never one of these: dimensions are strings and cannot start with
    ``_``)."""
    name = user_column(token)
    views = {v for v in ("exposures", "purchases") if engine.columns(v).get(name) == "BIGINT"}
    flags = engine.columns("exposures")
    if "exposures" in views and all(flags.get(f) == "BOOLEAN" for f in first_columns(token)):
        views.add(FIRSTS)
    return frozenset(views)


def user_sql(alias: str, token: str, view: str, users: frozenset[str], dialect: Dialect) -> str:
    """The user of a row of ``view`` (as ``alias``): the precomputed column when the
    dataset has it (``view in users``), else computed from the token; the same number."""
    if view in users:
        return f"{alias}.{quote_ident(user_column(token))}"
    return dialect.user_id(f"{alias}.{quote_ident(token)}")


def dimension_keys_sql(dialect: Dialect) -> str:
    """The declared keys of the grouping dimension as rows ``(d, j)``, ``j`` its position."""
    return dialect.numbered("dim_keys", "d", "j")


def key_params(keys: GroupKeys) -> dict[str, object]:
    """The bound parameters every key-reading fragment below uses."""
    return {
        "campaign_keys": list(keys.campaigns),
        "dim_keys": list(keys.dimension_keys()),
        "dim_values": list(keys.values or ()),
        "other_key": keys.dimension_keys()[-1] if keys.other else None,
    }


def dimension_key_sql(column: str, dialect: Dialect) -> str:
    """The group key of a row's dimension value: the value itself when it is declared,
    else the ``other`` key (NULL when there is none: the row belongs to no group)."""
    value = f"CAST({column} AS STRING)"
    return (
        f"CASE WHEN array_contains({dialect.strings('dim_values')}, {value}) THEN {value}"
        " ELSE CAST($other_key AS STRING) END"
    )


def keys_sql(dim: str | None, dialect: Dialect) -> str:
    """CTE ``keys``: every declared group (campaign x dimension key), numbered ``cell``
    in declaration order, with ``kh`` = digest of the group key. Read from the bound key
    lists only, never from a dataset, so the groups do not depend on the data."""
    dims = dimension_keys_sql(dialect) if dim else "(SELECT CAST(NULL AS STRING) AS d, 1 AS j)"
    return f"""
keys AS (
  SELECT c.campaign, d.d AS dim, row_number() OVER (ORDER BY c.i, d.j) AS cell,
         {digest("c.campaign", "d.d")} AS kh
  FROM {dialect.numbered("campaign_keys", "campaign", "i")} c
  CROSS JOIN {dims} d
)"""  # noqa: S608 -- fixed text; the keys are bound parameters


def bounded_cells_sql(
    token: str,
    dim: str | None,
    holdout: bool,
    rank: bool,
    exposed_only: bool = False,
    stage: str | None = None,
    *,
    dialect: Dialect,
    users: frozenset[str] = frozenset(),
) -> str:
    """CTEs ``keys``; ``kept_exp``: exposures with a token (``u``, ``cell``, ``t``,
    holdout flag ``h``, milestone flag ``s``) in at most ``$max_cells`` groups per user;
    ``exposed_users`` (every kept user, possibly repeated) and ``exposed_per_cell``
    (distinct users per group).

    With ``stage`` (an exposures column), ``s`` is true on rows whose stage equals the
    bound ``$milestone``; without it ``s`` is false. It plays no part in the bounding.

    With ``exposed_only`` (needs ``holdout``), a user's kept groups are chosen among all
    their groups, holdout ones included (the same choice as ``lift``), and then every row
    of a campaign in which the user is in the holdout arm (any of their rows for it
    flagged) is dropped: ``kept_exp`` holds exposed-arm rows only.

    With ``rank``, each row gets the rank of its group among the user's groups, ordered
    by ``r = digest(u, kh)`` then ``cell``, and a flag true on one row per user and group
    (one window pass, no join back); rows of groups ranked above ``$max_cells`` are
    dropped. Without it (the caller has checked
    that the dataset has no more groups than the bound, so no user can exceed it), the
    window is skipped.
    """
    tok = quote_ident(token)
    user = user_sql("x", token, "exposures", users, dialect)
    dim_join = "true"
    if dim:
        dim_join = f"{dimension_key_sql('x.' + quote_ident(dim), dialect)} = k.dim"
    flag = "coalesce(x.holdout, false)" if holdout else "false"
    milestone = "false"
    if stage:
        milestone = f"coalesce(CAST(x.{quote_ident(stage)} AS STRING) = $milestone, false)"
    first = f"x.{quote_ident(first_columns(token)[1])}" if FIRSTS in users else "false"
    rows = f"""
    SELECT {user} AS u, k.cell, k.campaign, {digest(user, "k.kh")} AS r,
           x.exposure_time AS t, {flag} AS h, {milestone} AS s, {first} AS f
    FROM exposures x
    JOIN keys k ON CAST(x.campaign_id AS STRING) = k.campaign AND {dim_join}
    WHERE x.{tok} IS NOT NULL AND x.exposure_time IS NOT NULL"""  # noqa: S608 -- as above
    arm = "true"
    if exposed_only:  # the (user, group) pairs of the holdout arm, dropped after ranking
        rows = f"""
    SELECT *, bool_or(h) OVER (PARTITION BY u, campaign) AS arm_h FROM ({rows})"""  # noqa: S608 -- as above
        arm = "NOT arm_h"
    if not rank:
        return _unranked(rows, arm, dim, token, users, dialect)
    kept, arm_h = "u, cell, t, h, s, first_in_cell", "arm_h" if exposed_only else "false AS arm_h"
    return f"""{keys_sql(dim, dialect)},
ranked AS (
  SELECT u, cell, t, h, s, {arm_h},
         dense_rank() OVER w AS cell_rank,
         (lag(cell) OVER w) IS DISTINCT FROM cell AS first_in_cell
  FROM ({rows})
  WINDOW w AS (PARTITION BY u ORDER BY r, cell)
),
kept_exp AS (SELECT {kept} FROM ranked WHERE cell_rank <= $max_cells AND NOT arm_h),
exposed_users AS (SELECT u FROM kept_exp WHERE first_in_cell),
exposed_per_cell AS (
  SELECT cell, count(*) AS exposed FROM kept_exp WHERE first_in_cell GROUP BY cell
)"""  # noqa: S608 -- as above


def _unranked(
    rows: str, arm: str, dim: str | None, token: str, users: frozenset[str], dialect: Dialect
) -> str:
    """The CTEs of :func:`bounded_cells_sql` when no user can exceed the bound.

    With the first-row flags (:data:`FIRSTS`) and groups that are campaigns (no ``dim``),
    a group's distinct users are its rows flagged first of their user and campaign: the
    query keeps or drops all rows of one user and campaign together, so exactly one
    flagged row of each kept pair remains. ``exposed_users`` is then every user of the
    exposures (one row each), a superset of the kept ones: it only narrows purchases
    before the window join against ``kept_exp``, which decides."""
    firsts = FIRSTS in users
    exposed = "count(*) FILTER (WHERE f)" if firsts and not dim else "count(DISTINCT u)"
    who = "SELECT u FROM kept_exp"
    if firsts:
        user, flag = user_sql("x", token, "exposures", users, dialect), first_columns(token)[0]
        who = f"SELECT {user} AS u FROM exposures x WHERE x.{quote_ident(flag)}"  # noqa: S608 -- quoted
    return f"""{keys_sql(dim, dialect)},
kept_exp AS (SELECT u, cell, t, h, s, f FROM ({rows}) WHERE {arm}
),
exposed_users AS ({who}),
exposed_per_cell AS (SELECT cell, {exposed} AS exposed FROM kept_exp GROUP BY cell)"""  # noqa: S608 -- identifiers quoted and schema-checked


def bounded_purchases_sql(
    token: str,
    dim: str | None = None,
    pick: str | None = None,
    *,
    dialect: Dialect,
    users: frozenset[str] = frozenset(),
) -> str:
    """CTE ``pur``: the *attributable* purchases of users in ``exposed_users`` (those with
    a kept exposure in ``[purchase_time - $window, purchase_time]``), at most
    ``$max_purchases`` per user (numbered ``pid``), with the key ``d`` of the purchases
    dimension (NULL without ``dim``; purchases whose value maps to no declared key are
    left out), amounts as whole cents clamped to ``[0, $cap_cents]`` (NULL, NaN and
    infinite amounts count as 0). The cap chooses among attributable purchases only, so
    a purchase outside every window never displaces one that converts; the choice still
    depends only on the user's own rows. ``isfinite``, not ``isnan``, on DuckDB: DuckDB
    2.0 folds ``isnan`` to false from Parquet statistics that exclude NaN
    (:meth:`~cleanroom.engine.dialect.Dialect.is_finite`). Either way the
    ``least``/``greatest`` clamp keeps every amount inside ``[0, cap]``.

    With ``pick`` (an aggregate over the kept exposures ``e`` in a purchase's window,
    e.g. the last touch's ``cell``), ``pur`` also has ``cell``, its value. Which
    exposures lie in a purchase's window depends only on the user and the purchase time,
    so the window join runs once per distinct ``(u, t)`` (CTE ``touch_at``) and serves
    both the attributable test and the pick (one range join instead of two)."""
    user = user_sql("p", token, "purchases", users, dialect)
    if pick is None:
        return _bounded_purchases(_purchase_rows(token, dim, user, dialect), "", "", "")
    times = f"""
touch_at AS (
  SELECT a.u, a.t, {pick} AS cell
  FROM (
    SELECT DISTINCT {user} AS u, p.purchase_time AS t FROM purchases p
    WHERE p.{quote_ident(token)} IS NOT NULL AND p.purchase_time IS NOT NULL
      AND {user} IN (SELECT u FROM exposed_users)
  ) a
  JOIN kept_exp e ON e.u = a.u AND e.t BETWEEN a.t - $window AND a.t
  GROUP BY a.u, a.t
),"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound
    join = "JOIN touch_at w ON w.u = a.u AND w.t = a.t"
    rows = _purchase_rows(token, dim, user, dialect, exposed_only=False)
    return _bounded_purchases(rows, times, join, "w.cell, ")


def _purchase_rows(
    token: str, dim: str | None, user: str, dialect: Dialect, exposed_only: bool = True
) -> str:
    """Purchases with a token and a time (of users in ``exposed_users`` when
    ``exposed_only``; else the caller's join restricts them): ``u``, ``t``, ``d``,
    ``cents``."""
    tok = quote_ident(token)
    d = dimension_key_sql(f"p.{quote_ident(dim)}", dialect) if dim else "CAST(NULL AS STRING)"
    declared = f" AND {d} IS NOT NULL" if dim else ""
    if exposed_only:
        declared = f" AND {user} IN (SELECT u FROM exposed_users)" + declared  # noqa: S608 -- as above
    return f"""
    SELECT {user} AS u, p.purchase_time AS t, {d} AS d,
           CASE WHEN {dialect.is_finite("p.amount")}
                THEN CAST(least(greatest(round(p.amount * 100), 0), $cap_cents) AS BIGINT)
                ELSE 0
           END AS cents
    FROM purchases p
    WHERE p.{tok} IS NOT NULL AND p.purchase_time IS NOT NULL{declared}"""  # noqa: S608 -- as above


def _bounded_purchases(rows: str, times: str, join: str, cell: str) -> str:
    """``pur`` over ``rows``: attributable (joined to ``touch_at`` when ``join`` is given,
    else tested with EXISTS), then capped per user."""
    attributable = (
        ""
        if join
        else """
  WHERE EXISTS (
    SELECT 1 FROM kept_exp e WHERE e.u = a.u AND e.t BETWEEN a.t - $window AND a.t
  )"""
    )
    return f"""{times}
pur AS (
  SELECT a.u, a.t, a.cents, a.d, {cell}
         row_number() OVER (PARTITION BY a.u ORDER BY {digest("a.u", "a.t", "a.cents", "a.d")},
                            a.t, a.cents, a.d NULLS LAST) AS pid
  FROM ({rows}
  ) a {join}{attributable}
  QUALIFY pid <= $max_purchases
)"""  # noqa: S608 -- identifiers quoted and schema-checked; values bound


def bucket_sql(value: str, prefix: str, lower_edges: int) -> str:
    """The index of the bucket ``value`` falls in: the largest ``i`` with ``value >=
    $<prefix><i>`` (bucket 0 when it is below every edge). The edges are bound
    parameters (:func:`bucket_params`), declared by the request, never read from data."""
    if lower_edges == 0:
        return "0"
    whens = " ".join(
        f"WHEN {value} >= ${prefix}{i} THEN {i}" for i in range(lower_edges - 1, -1, -1)
    )
    return f"CASE {whens} ELSE 0 END"


def bucket_params(prefix: str, lower_edges: Sequence[int]) -> dict[str, object]:
    """``{prefix0: edge0, ...}`` for :func:`bucket_sql`."""
    return {f"{prefix}{i}": int(edge) for i, edge in enumerate(lower_edges)}
