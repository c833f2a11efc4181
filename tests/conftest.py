"""Fixtures every test package may use."""

from __future__ import annotations

import os
import sys

import pytest

from cleanroom.engine import SparkSettings
from tests.spark_session import require_spark


@pytest.fixture(scope="session")
def spark_settings() -> SparkSettings:
    """Settings of the one local[2] SparkSession of the test session (it starts on first
    use and is shared); skips with the reason when pyspark or Java is missing."""
    from cleanroom.engine.spark import root_session

    settings = require_spark()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the agent's tasks run Python
    root_session(settings)
    return settings
