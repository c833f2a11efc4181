"""Which common table expressions of a statement to compute once: the leading ``WITH``
clause split into its CTEs, and the statements that compute the shared ones first.

Spark inlines a deterministic CTE at every reference (its optimizer rule ``InlineCTE``;
no setting turns that off for queries), so a CTE the statement reads several times,
such as the bounded exposures ``kept_exp``, is recomputed from the Parquet files each
time. DuckDB materializes such CTEs itself. :func:`plan_statements` finds the CTEs
worth computing once: read more than once (by the later CTEs and the main query
together), reading a dataset view (directly or through other CTEs; one computed from
the bound parameters alone, such as ``keys``, is cheaper to recompute), and costly to
recompute (:data:`COSTLY`: a shuffle or the user id from the token, in it or in a CTE
it inlines; a plain scan of a prepared dataset is cheaper to repeat than to cache).
When there is one, the Spark engine registers every CTE, in order, as a temporary view
of the query's session, caching the shared ones, then runs the main query
(:meth:`cleanroom.engine.spark.SparkEngine.fetch`).

The SQL is the engine's own template text: a leading ``WITH`` of ``name AS (...)``
items, then the main query. Anything else (no ``WITH``, a column list, ``RECURSIVE``)
is run unchanged. The scan skips string literals, quoted identifiers and comments; a
name counts as a reference unless it follows a ``.`` (a column of an alias) or precedes
``(`` (a function: Spark's ``conv`` is also a CTE name here). A false reference can only
make a CTE computed once that did not need it, never change a result.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
      (?P<space>\s+|--[^\n]*|/\*.*?\*/)
    | (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`)
    | (?P<param>[$:][A-Za-z_][A-Za-z0-9_]*)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>[0-9][A-Za-z0-9_.]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


COSTLY = frozenset({"over", "group", "distinct", "conv"})
"""Words that make a CTE's computation worth caching: a window, an aggregation or a
``DISTINCT`` (a shuffle of the dataset), or ``conv``, the Spark user id computed from
the token (:meth:`~cleanroom.engine.dialect.Dialect.user_id`; a dataset published with
the user column reads it instead). Measured at 10M x 10M on 2 cores: caching the bounded
exposures saved 11-16% of the CPU where it had one of these, and cost 13% more where it
was a plain scan joined to the broadcast keys (benchmarks/README.md)."""


@dataclass(frozen=True)
class Cte:
    """One ``name AS (body)`` item of a ``WITH`` clause."""

    name: str
    body: str

    def sql(self) -> str:
        return f"{self.name} AS ({self.body})"


@dataclass(frozen=True)
class View:
    """One CTE as a temporary view: its name, its SQL, and whether to cache it."""

    name: str
    sql: str
    cached: bool


@dataclass(frozen=True)
class Statements:
    """What to run for one statement: each of ``views`` in order as a temporary view of
    that name (the cached ones computed once, there), then ``final``, which reads them."""

    views: tuple[View, ...]
    final: str


def _tokens(sql: str) -> Iterator[tuple[str, str, int, int]]:
    """``(kind, text, start, end)`` of every token but whitespace and comments."""
    for found in _TOKEN.finditer(sql):
        kind = found.lastgroup or "other"
        if kind != "space":
            yield kind, found.group(), found.start(), found.end()


def split_with(sql: str) -> tuple[tuple[Cte, ...], str] | None:
    """The CTEs of the leading ``WITH`` and the main query; ``None`` when the statement
    does not start with a ``WITH`` of plain ``name AS (...)`` items."""
    tokens = list(_tokens(sql))
    if not tokens or tokens[0][1].upper() != "WITH":
        return None
    ctes: list[Cte] = []
    at = 1
    while at + 2 < len(tokens):
        name, as_, opening = tokens[at], tokens[at + 1], tokens[at + 2]
        if name[0] != "name" or as_[1].upper() != "AS" or opening[1] != "(":
            return None
        closing = _closing(tokens, at + 2)
        if closing is None:
            return None
        ctes.append(Cte(name[1], sql[opening[3] : tokens[closing][2]]))
        at = closing + 1
        if at >= len(tokens) or tokens[at][1] != ",":
            break
        at += 1
    if at >= len(tokens) or not ctes:
        return None
    return tuple(ctes), sql[tokens[at][2] :]


def _closing(tokens: list[tuple[str, str, int, int]], opening: int) -> int | None:
    """The index of the ``)`` that closes the ``(`` at ``opening``."""
    depth = 0
    for index in range(opening, len(tokens)):
        text = tokens[index][1]
        depth += (text == "(") - (text == ")")
        if depth == 0:
            return index
    return None


def references(sql: str) -> list[str]:
    """The names ``sql`` reads as relations (lowercase, repeated per reference)."""
    tokens = list(_tokens(sql))
    found = []
    for index, (kind, text, _, _) in enumerate(tokens):
        after_dot = index > 0 and tokens[index - 1][1] == "."
        call = index + 1 < len(tokens) and tokens[index + 1][1] == "("
        if kind == "name" and not after_dot and not call:
            found.append(text.lower())
    return found


def plan_statements(sql: str, views: Collection[str]) -> Statements:
    """The statements that compute each shared CTE of ``sql`` once (see the module
    docstring), ``views`` being the dataset views; ``sql`` alone when none is shared.

    When one is shared, every CTE becomes a view (the shared ones cached) and the main
    query reads them: a view is inlined at each reference as a CTE is, so the others
    run as before. Not a ``WITH`` left around the main query: Spark then does not
    match the cached views' plans in it (pyspark 4.0), and recomputes them."""
    split = split_with(sql)
    if split is None:
        return Statements((), sql)
    ctes, main = split
    names = {c.name.lower() for c in ctes}
    datasets = {v.lower() for v in views}
    if names & datasets:
        return Statements((), sql)  # a CTE shadows a dataset view: leave it to Spark
    count = dict.fromkeys(names, 0)
    for name in [r for c in ctes for r in references(c.body)] + references(main):
        if name in count:
            count[name] += 1
    scans: set[str] = set()  # the CTEs that read a dataset, directly or through others
    costly: set[str] = set()  # of those, the ones whose computation is worth keeping
    for cte in ctes:
        read = set(references(cte.body))
        if read & (datasets | scans):
            scans.add(cte.name.lower())
            if _words(cte.body) & COSTLY or read & costly:
                costly.add(cte.name.lower())
    shared = {n for n in costly if count[n] > 1}
    if not shared:
        return Statements((), sql)
    planned = tuple(View(c.name, c.body, c.name.lower() in shared) for c in ctes)
    return Statements(planned, main)


def _words(sql: str) -> set[str]:
    """Every keyword, name and function name of ``sql`` (lowercase)."""
    return {text.lower() for kind, text, _, _ in _tokens(sql) if kind == "name"}
