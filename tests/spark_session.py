"""The one Spark set-up of the test suite: a local[2] session shared by every Spark test,
tuned for tiny worlds, and the reason Spark tests skip where Spark cannot run."""

from __future__ import annotations

import pytest

from cleanroom.engine import SparkSettings, spark_unavailable

SPARK_TEST_SETTINGS = SparkSettings(
    "local[2]",
    conf=(
        ("spark.ui.showConsoleProgress", "false"),
        # tiny worlds: planning and code generation cost more than the data
        ("spark.sql.adaptive.enabled", "false"),
        ("spark.sql.codegen.wholeStage", "false"),
        ("spark.sql.codegen.factoryMode", "NO_CODEGEN"),
        ("spark.default.parallelism", "2"),
        ("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"),
    ),
    shuffle_partitions=1,
)


def require_spark() -> SparkSettings:
    """The shared settings, or skip with the precise reason Spark cannot run here."""
    reason = spark_unavailable()
    if reason is not None:
        pytest.skip(f"Spark tests skipped: {reason}")
    return SPARK_TEST_SETTINGS
