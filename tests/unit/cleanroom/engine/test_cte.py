"""Which CTEs the Spark engine computes once: the leading WITH split into its items, the
references counted past literals, quoted names, comments, columns and functions."""

from __future__ import annotations

import pytest

from cleanroom.engine.bound import FIRSTS
from cleanroom.engine.cte import Cte, Statements, View, plan_statements, references, split_with
from cleanroom.engine.dialect import SPARK
from cleanroom.engine.model import Attribution
from cleanroom.engine.protocol import VIEWS
from cleanroom.engine.templates.conversions import conversions_sql

PREPARED = frozenset({"exposures", "purchases", FIRSTS})
KEPT = (
    "SELECT u, k, row_number() OVER (PARTITION BY u ORDER BY k) AS n"
    " FROM exposures x JOIN keys ON x.c = keys.k WHERE x.t < $limit"
)
SHARED = f"""
WITH keys AS (SELECT 'a,)' AS k),
kept AS ({KEPT}),
once AS (SELECT u FROM kept /* kept ( */ WHERE u > 0),
twice AS (SELECT DISTINCT u FROM purchases)
SELECT * FROM kept a JOIN once b ON a.u = b.u CROSS JOIN twice t1 CROSS JOIN twice t2
"""  # noqa: S608 -- fixed text


def test_the_with_clause_splits_into_its_items() -> None:
    split = split_with(SHARED)
    assert split is not None
    ctes, main = split
    assert [c.name for c in ctes] == ["keys", "kept", "once", "twice"]
    assert ctes[0] == Cte("keys", "SELECT 'a,)' AS k")
    assert main.startswith("SELECT * FROM kept a JOIN once b")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "WITH t (a) AS (SELECT 1) SELECT a FROM t",  # a column list
        "WITH RECURSIVE t AS (SELECT 1) SELECT * FROM t",
        "WITH t AS (SELECT 1",  # unbalanced
        "WITH t AS (SELECT 1)",  # no main query
    ],
)
def test_other_statements_are_run_unchanged(sql: str) -> None:
    assert plan_statements(sql, VIEWS) == Statements((), sql)


def test_references_skip_literals_quoted_names_columns_and_functions() -> None:
    sql = """SELECT conv(x.kept, 16, 10), "kept", 'kept', `kept` -- kept
             FROM kept JOIN Kept /* kept */ ON $kept = :kept"""
    assert [r for r in references(sql) if r in {"kept", "conv"}] == ["kept", "kept"]


def test_shared_ctes_that_read_a_dataset_are_cached_views() -> None:
    planned = plan_statements(SHARED, VIEWS)
    # kept: read by `once` and the main query; twice: twice by the main query; keys is
    # read twice too but from no dataset (cheaper to recompute); once is read once
    assert planned.views == (
        View("keys", "SELECT 'a,)' AS k", cached=False),
        View("kept", KEPT, cached=True),
        View("once", "SELECT u FROM kept /* kept ( */ WHERE u > 0", cached=False),
        View("twice", "SELECT DISTINCT u FROM purchases", cached=True),
    )
    assert planned.final.startswith("SELECT * FROM kept a JOIN once b")


def test_without_a_shared_costly_cte_the_statement_runs_unchanged() -> None:
    sql = "WITH a AS (SELECT DISTINCT u FROM exposures), b AS (SELECT u FROM a) SELECT * FROM b, b"
    assert plan_statements(sql, VIEWS).views != ()  # b is shared and inlines a DISTINCT
    once = "WITH a AS (SELECT DISTINCT u FROM exposures), b AS (SELECT u FROM a) SELECT * FROM b"
    assert plan_statements(once, VIEWS) == Statements((), once)
    scan = "WITH a AS (SELECT u FROM exposures WHERE u > 0) SELECT * FROM a x JOIN a y"
    assert plan_statements(scan, VIEWS) == Statements((), scan)  # cheaper to scan twice


def test_a_cte_named_like_a_dataset_view_is_left_to_spark() -> None:
    sql = "WITH exposures AS (SELECT 1 AS a FROM purchases) SELECT * FROM exposures, exposures"
    assert plan_statements(sql, VIEWS) == Statements((), sql)


@pytest.mark.parametrize(
    ("rank", "users", "cached"),
    [
        (True, frozenset(), ["kept_exp"]),  # a window, and the user id from the token
        (False, frozenset(), ["kept_exp"]),  # the user id from the token
        (True, PREPARED, ["kept_exp"]),  # a window
        (False, PREPARED, []),  # a scan joined to the keys: cheaper to repeat
    ],
)
def test_conversions_compute_the_kept_exposures_once(
    rank: bool, users: frozenset[str], cached: list[str]
) -> None:
    sql = conversions_sql(
        "token_email", None, Attribution.LAST_TOUCH, True, rank, dialect=SPARK, users=users
    )
    planned = plan_statements(sql, VIEWS)
    assert [v.name for v in planned.views if v.cached] == cached
    if cached:
        readers = [v.sql for v in planned.views] + [planned.final]
        reads = sum(references(r).count("kept_exp") for r in readers)
        assert reads == 3  # users, per cell, touch_at
