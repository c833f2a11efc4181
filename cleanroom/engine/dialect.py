"""Where DuckDB SQL and Spark SQL differ: the one place the templates ask.

The templates (:mod:`cleanroom.engine.templates`, :mod:`cleanroom.engine.bound`) are
written once, in the SQL both engines share; the few constructs that differ come from a
:class:`Dialect`, the one each engine carries as ``engine.dialect``. Shared on purpose:
``"double quoted"`` identifiers (the Spark engine sets
``spark.sql.ansi.doubleQuotedIdentifiers``), ``$name`` parameters (the Spark engine
rewrites them to ``:name`` markers, still bound, never spliced), ``array_contains``,
``max_by``/``min_by``, ``QUALIFY``, ``FILTER (WHERE ...)``, ``md5`` and ``concat_ws``.

The per-user hashes both engines compute identically (docs/reference/privacy-guarantees.md,
"Pseudo-random choice of kept rows"):

- :meth:`Dialect.user_id`: the user inside the SQL, the last 60 bits of the token
  (an HMAC-SHA256 output, so already uniform) as a non-negative BIGINT;
- :func:`digest`: the lowercase hex MD5 of its parts cast to text and joined by ``|``
  (NULL parts as the empty string), the ordering key of the per-user pseudo-random
  choices. Both engines print integers and strings the same way, so it is the same
  text, hence the same digest, on both.
"""

from __future__ import annotations

from dataclasses import dataclass

USER_HEX_DIGITS = 15
"""Hex digits of the token read as the user id: 60 bits, so it fits a signed BIGINT."""
_TAIL_FROM = 25  # the token's last 8 bytes (of 32), 1-based
_HEX_FROM = 16 - USER_HEX_DIGITS + 1  # their last 15 of 16 hex digits
_USER_MASK = (1 << (4 * USER_HEX_DIGITS)) - 1


def quote_ident(name: str) -> str:
    """Quote a column name for SQL (the name itself was checked against the schema)."""
    return '"' + name.replace('"', '""') + '"'


def digest(*parts: str) -> str:
    """SQL for the hex MD5 of ``parts`` (SQL expressions) as text joined by ``|``."""
    text = ", ".join(f"coalesce(CAST({p} AS STRING), '')" for p in parts)
    return f"md5(concat_ws('|', {text}))"


@dataclass(frozen=True)
class Dialect:
    """The constructs one engine spells its own way."""

    name: str
    list_type: str
    """How ``CAST(param AS ...)`` names a list of strings."""

    def strings(self, param: str) -> str:
        """A bound list-of-strings parameter (``param`` is its name, without ``$``)."""
        return f"CAST(${param} AS {self.list_type})"

    def numbered(self, param: str, value: str, index: str) -> str:
        """A subquery with one row per element of the list parameter ``param``: the
        element as ``value`` and its 1-based position as ``index``."""
        items = self.strings(param)
        if self.name == "spark":
            exploded = f"(SELECT posexplode({items}) AS ({index}, {value}))"
            return f"(SELECT {value}, {index} + 1 AS {index} FROM {exploded})"  # noqa: S608 -- fixed text; the list is a bound parameter
        return f"(SELECT unnest({items}) AS {value}, generate_subscripts({items}, 1) AS {index})"

    def pair(self, first: str, second: str) -> str:
        """A value ordered by ``first``, then ``second`` (for ``max_by``/``min_by``)."""
        if self.name == "spark":
            return f"struct({first}, {second})"
        return f"row({first}, {second})"

    def user_id(self, token: str) -> str:
        """The user inside the SQL: the token's last 60 bits as a BIGINT (>= 0).

        Spark reads the last 15 hex digits of the last 8 bytes (hex of 8 bytes, not of
        all 32: a third less CPU per row, and Spark evaluates it on every scan of a
        dataset); DuckDB the last 8 bytes as a 64-bit integer, its top 4 bits masked off
        (the same number, about twice as fast as DuckDB's hex path)."""
        if self.name == "spark":
            tail = f"hex(substr({token}, {_TAIL_FROM}, 8))"
            return f"CAST(conv(substr({tail}, {_HEX_FROM}, {USER_HEX_DIGITS}), 16, 10) AS BIGINT)"
        return f"(CAST(CAST(array_slice({token}, 25, 32) AS BIT) AS BIGINT) & {_USER_MASK})"

    def is_finite(self, value: str) -> str:
        """True for a DOUBLE that is neither NaN nor infinite (NULL for NULL)."""
        if self.name == "spark":
            return f"(NOT isnan({value}) AND abs({value}) < double('inf'))"
        return f"isfinite({value})"


DUCKDB = Dialect("duckdb", "STRING[]")
SPARK = Dialect("spark", "ARRAY<STRING>")
