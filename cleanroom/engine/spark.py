"""The Spark engine: the same template SQL on Apache Spark (PySpark), for datasets that
outgrow one machine.

``SparkSettings.master`` says where: ``local[*]`` (or ``local[2]``) runs Spark inside
the server process, ``spark://host:7077`` (or any master URL Spark accepts) a cluster.
The datasets stay the server's Parquet files; on a cluster the executors must see them
at the same path (docs/deployment/spark.md). One SparkSession per master per process is
shared; each query gets its own child session (``newSession``), so the temporary views
of concurrent queries never meet. Parameters stay bound: the ``$name`` markers of the
templates become Spark's ``:name`` markers and the values go in ``args``. A CTE that
reads a dataset, is read more than once and is costly to recompute (``kept_exp`` with
its ranking window, for one) is computed once per statement as a cached view of the
query's session, then dropped (:mod:`cleanroom.engine.cte`): Spark itself would
recompute it at every reference.

pyspark is imported when the first Spark engine opens, never at import time, and a
missing pyspark or Java runtime is refused in one sentence that says what to install
(:func:`spark_unavailable`).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from cleanroom.engine.cte import plan_statements
from cleanroom.engine.dialect import SPARK, Dialect
from cleanroom.engine.protocol import VIEWS, Sources, require_column
from cleanroom.errors import EngineUnavailable

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_TYPES = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "binary": "BLOB",
    "timestamp": "TIMESTAMP",
}
"""Spark type names -> the DuckDB names :meth:`QueryEngine.columns` reports."""

SESSION_CONF = {
    "spark.sql.ansi.doubleQuotedIdentifiers": "true",  # "quoted" identifiers, as in DuckDB
    "spark.sql.session.timeZone": "UTC",
}

PLAN_CONF = {
    # Adaptive execution (Spark 4's default, set so that a cluster's defaults cannot turn
    # it off): shuffle partitions coalesced to the data actually shuffled, skewed
    # partitions of a join split, and sort-merge joins turned into broadcast joins
    # once a side's real size is known.
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.adaptive.skewJoin.enabled": "true",
}
"""Planning settings every session gets (a setting in ``SparkSettings.conf`` wins)."""

_LOCAL = re.compile(r"local(?:\[(\d+|\*)(?:,\d+)?\])?$")


def default_shuffle_partitions(master: str) -> int | None:
    """Shuffle partitions for a ``local`` master: two per core (Spark's default of 200
    is sized for clusters; on a few cores it makes 200 small tasks and 200 shuffle files
    per map task at every shuffle). ``None`` for a cluster, which keeps its own."""
    found = _LOCAL.match(master.strip())
    if found is None:
        return None
    cores = found.group(1)
    if cores is None:
        count = 1
    elif cores == "*":
        count = os.cpu_count() or 1
    else:
        count = int(cores)
    return max(2, 2 * count)


@dataclass(frozen=True)
class SparkSettings:
    """Where Spark runs (``master``) and any extra Spark configuration (``conf``: pairs
    of key and value, e.g. ``("spark.executor.memory", "8g")``)."""

    master: str = "local[*]"
    conf: tuple[tuple[str, str], ...] = ()
    shuffle_partitions: int | None = None

    def __post_init__(self) -> None:
        if not self.master.strip():
            raise ValueError("spark master must not be empty (e.g. local[*] or spark://host:7077)")


def spark_unavailable() -> str | None:
    """Why the Spark engine cannot start here, in one sentence; ``None`` when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return (
            "the Spark engine needs pyspark: pip install 'cleanroom-match[spark]' "
            "(or run `make spark`)"
        )
    java_home = os.environ.get("JAVA_HOME")
    home_java = bool(java_home) and os.access(os.path.join(str(java_home), "bin", "java"), os.X_OK)
    if not home_java and shutil.which("java") is None:
        return (
            "the Spark engine needs a Java runtime (17 or newer): on Debian or Ubuntu "
            "apt-get install openjdk-17-jre-headless, or set JAVA_HOME (or run `make spark`)"
        )
    return None


_LOCK = threading.Lock()
_ROOTS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def root_session(settings: SparkSettings) -> Any:
    """The process's SparkSession for ``settings`` (created once, then shared)."""
    key = (settings.master, settings.conf)
    with _LOCK:
        if key not in _ROOTS:
            reason = spark_unavailable()
            if reason is not None:
                raise EngineUnavailable(reason)
            from pyspark.sql import SparkSession

            builder = SparkSession.builder.master(settings.master).appName("cleanroom")
            builder = builder.config("spark.ui.enabled", "false")
            partitions = default_shuffle_partitions(settings.master)
            if partitions is not None:
                builder = builder.config("spark.sql.shuffle.partitions", str(partitions))
            for name, value in (*SESSION_CONF.items(), *PLAN_CONF.items(), *settings.conf):
                builder = builder.config(name, value)
            _ROOTS[key] = builder.getOrCreate()
        return _ROOTS[key]


def _physical(frame: Any) -> str:
    """The physical plan Spark runs for ``frame``."""
    return str(frame._jdf.queryExecution().executedPlan().toString())


class SparkEngine:
    """One query's Spark session with the dataset views (a :class:`QueryEngine`)."""

    dialect: Dialect = SPARK

    def __init__(self, sources: Sources, settings: SparkSettings | None = None) -> None:
        self.settings = settings or SparkSettings()
        self._spark = root_session(self.settings).newSession()
        for name, value in SESSION_CONF.items():
            self._spark.conf.set(name, value)
        if self.settings.shuffle_partitions is not None:
            self._spark.conf.set("spark.sql.shuffle.partitions", self.settings.shuffle_partitions)
        self._columns: dict[str, dict[str, str]] = {}
        for view in VIEWS:
            paths = sources.paths(view)
            if paths:
                frame = self._spark.read.parquet(*(str(p) for p in paths))
                frame.createOrReplaceTempView(view)
                self._columns[view] = {
                    f.name: _TYPES.get(f.dataType.simpleString(), f.dataType.simpleString())
                    for f in frame.schema.fields
                }

    def has_view(self, view: str) -> bool:
        return view in self._columns

    def columns(self, view: str) -> dict[str, str]:
        return dict(self._columns.get(view, {}))

    def require_column(self, view: str, column: str, needed_by: str) -> None:
        require_column(self._columns.get(view, {}), view, column, needed_by)

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement; ``$name`` markers become Spark's ``:name`` and their
        values are bound as ``args`` (only those the statement mentions). A costly CTE
        the statement reads more than once is computed once, as a cached view of this
        session, and dropped when the statement ends (:func:`plan_statements`)."""
        with self._statements(sql, params or {}) as final:
            return [tuple(row) for row in final.collect()]

    def plans(self, sql: str, params: Mapping[str, object] | None = None) -> list[str]:
        """The physical plans :meth:`fetch` runs for ``sql``: one per cached CTE (its
        view's name first), then the statement's; nothing is left cached after."""
        plans: list[str] = []
        with self._statements(sql, params or {}, plans) as final:
            plans.append(_physical(final))
        return plans

    @contextmanager
    def _statements(
        self, sql: str, params: Mapping[str, object], plans: list[str] | None = None
    ) -> Iterator[Any]:
        """The statement's frame, after its CTEs are registered as views when one is
        shared (each shared one cached and computed once, here); the views are dropped
        and un-cached on the way out, so the next statement sees none of them."""
        statements = plan_statements(sql, VIEWS)
        made: list[tuple[str, Any]] = []
        try:
            for view in statements.views:
                frame = self._frame(view.sql, params)
                made.append((view.name, frame))
                frame.createOrReplaceTempView(view.name)
                if view.cached:
                    if plans is not None:
                        plans.append(f"{view.name}: {_physical(frame)}")
                    frame.cache().count()  # computed now, so the statement plans on its size
            yield self._frame(statements.final, params)
        finally:
            for name, frame in reversed(made):
                self._spark.catalog.dropTempView(name)
                frame.unpersist(blocking=True)

    def _frame(self, sql: str, params: Mapping[str, object]) -> Any:
        """``sql`` with its ``$name`` markers bound (only those it mentions)."""
        mentioned = set(_PARAM.findall(sql))
        used = {name: value for name, value in params.items() if name in mentioned}
        return self._spark.sql(_PARAM.sub(r":\1", sql), args=used)

    def close(self) -> None:
        for view in self._columns:
            self._spark.catalog.dropTempView(view)

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
