"""``party-agent tokenize --engine spark``: the same pipeline, run by Spark over an input
too large for one machine.

Spark reads the input in splits (CSV with a header, every column as text, empty cells
null, as :mod:`party_agent.reading` does, but one record per line so that the file can
be split: a quoted newline inside a value fails the run; or Parquet); each task
runs the single-machine pipeline's own batch step (:func:`party_agent.pipeline.tokenize_batch`:
normalization and HMAC from :mod:`protocols`, the attribute conversions, the tripwire and
the unsalted-digest probes) on its Arrow batches and writes one part file,
``part-NNNNN.parquet``, with the single-machine output schema (token columns tagged with
the token version and key check value, the file bound to the collaboration). The tokens
are computed in the Python workers by the same code, so each part's columns equal the
single-machine file's rows of that split, byte for byte.

The output is a directory of part files, written next to ``out`` under a temporary
name and renamed into place only when every task succeeded and no attribute tripped
the tripwire, so a refused run leaves nothing to upload. On a cluster, the input and
the output directory must be on a filesystem every executor sees at the same path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from party_agent.errors import AgentError, ConfigError, IdentifierInAttribute, InputError
from party_agent.pipeline import TokenizeJob, check_keyed, scan_attributes, tokenize_batch
from party_agent.summary import TokenizeSummary
from protocols import Reason, Tokenizer
from protocols.tripwire import TripwireHit

_ERRORS: dict[str, type[AgentError]] = {
    cls.__name__: cls for cls in (InputError, IdentifierInAttribute, ConfigError)
}


def spark_missing() -> str | None:
    """Why Spark cannot run here, in one sentence (``None`` when it can)."""
    if importlib.util.find_spec("pyspark") is None:
        return "--engine spark needs pyspark: pip install 'cleanroom-match[spark]'"
    java_home = os.environ.get("JAVA_HOME", "")
    if shutil.which("java") is None and not os.access(f"{java_home}/bin/java", os.X_OK):
        return (
            "--engine spark needs a Java runtime (17 or newer): on Debian or Ubuntu "
            "apt-get install openjdk-17-jre-headless, or set JAVA_HOME"
        )
    return None


@dataclass(frozen=True)
class PartResult:
    """What one task reports: its part file's name (``None`` if it wrote no row), its
    counts, its tripwire hits, or the agent error that stopped it."""

    part: str | None
    summary: dict[str, Any]
    hits: list[tuple[str, str, int]]
    error: tuple[str, str] | None = None


def _summary_dict(summary: TokenizeSummary) -> dict[str, Any]:
    return {
        "rows_read": summary.rows_read,
        "rows_written": summary.rows_written,
        "rows_dropped_no_identifier": summary.rows_dropped_no_identifier,
        "rows_dropped_invalid_attribute": dict(summary.rows_dropped_invalid_attribute),
        "invalid_identifiers": {
            c: {str(r): n for r, n in counts.items()}
            for c, counts in summary.invalid_identifiers.items()
        },
        "tokens_written": dict(summary.tokens_written),
    }


def merge_summaries(parts: list[dict[str, Any]]) -> TokenizeSummary:
    """One summary of every task's counts."""
    total = TokenizeSummary()
    for part in parts:
        total.rows_read += part["rows_read"]
        total.rows_written += part["rows_written"]
        total.rows_dropped_no_identifier += part["rows_dropped_no_identifier"]
        total.rows_dropped_invalid_attribute.update(part["rows_dropped_invalid_attribute"])
        total.tokens_written.update(part["tokens_written"])
        for column, counts in part["invalid_identifiers"].items():
            total.count_rejected(column, Counter({Reason(r): n for r, n in counts.items()}))
    return total


def tokenize_part(job: TokenizeJob, directory: Path, index: int, batches: Any) -> PartResult:
    """One task: the pipeline's batch step over ``batches``, written to one part file."""
    import pyarrow.parquet as pq

    summary, hits = TokenizeSummary(), []
    schema = job.output_schema()
    path = directory / f"part-{index:05d}.parquet"
    try:
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in batches:
                kept = tokenize_batch(job, batch, schema, summary)
                hits.extend(scan_attributes(job.mapping, kept))
                check_keyed(job.mapping, kept)
                writer.write_batch(kept)
    except (InputError, IdentifierInAttribute, ConfigError) as error:
        path.unlink(missing_ok=True)
        return PartResult(None, _summary_dict(summary), [], (type(error).__name__, str(error)))
    if summary.rows_written == 0:
        path.unlink()
    part = path.name if summary.rows_written else None
    found = [(h.column, h.pattern, h.count) for h in hits]
    return PartResult(part, _summary_dict(summary), found)


def _read(spark: Any, job: TokenizeJob) -> Any:
    source = job.source
    if source.format == "parquet":
        frame = spark.read.parquet(str(source.path))
    elif source.format == "csv":
        frame = (
            spark.read.option("header", "true")
            .option("sep", source.delimiter)
            .option("multiLine", "false")  # splittable; a quoted newline fails (FAILFAST)
            .option("mode", "FAILFAST")
            .option("escape", '"')
            .option("inferSchema", "false")
            .csv(str(source.path))
        )
    else:
        raise ConfigError("--engine spark reads CSV or Parquet input; convert JSON Lines first")
    return frame.select(*(f"`{c}`" for c in job.mapping.input_columns))


def _spark_session(master: str) -> Any:
    reason = spark_missing()
    if reason is not None:
        raise ConfigError(reason)
    from pyspark.sql import SparkSession

    # the tasks run this package's code: workers use this interpreter unless told
    # otherwise (on a cluster, PYSPARK_PYTHON names one with cleanroom-match installed)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # pyspark's own notice about pandas 3; the tasks use Arrow only, never pandas
    warnings.filterwarnings(
        "ignore", "PySpark does not yet fully support pandas", category=FutureWarning
    )
    builder = SparkSession.builder.master(master).appName("party-agent tokenize")
    return builder.config("spark.ui.enabled", "false").getOrCreate()


def run_tokenize_spark(job: TokenizeJob, master: str) -> TokenizeSummary:
    """Tokenize ``job.source`` on Spark at ``master`` into the directory ``job.out``."""
    if not isinstance(job.tokenizer, Tokenizer):
        raise ConfigError(
            "--engine spark tokenizes protocol v1 files with identifiers; tokenize spend "
            "and protocol v2 files locally"
        )
    started = time.perf_counter()
    spark = _spark_session(master)
    temp = job.out.with_name(f".{job.out.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    temp.mkdir()
    try:
        serial = replace(job, tokenizer=replace(job.tokenizer, parallel=False))  # 1 per task
        results = _run_tasks(spark, serial, temp)
        summary = _finish(results)
        _replace_dir(temp, job.out)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def _run_tasks(spark: Any, job: TokenizeJob, directory: Path) -> list[PartResult]:
    import pyarrow as pa

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        context = TaskContext.get()
        index = context.partitionId() if context is not None else 0
        result = tokenize_part(job, directory, index, batches)
        yield pa.RecordBatch.from_pylist([{"result": json.dumps(result.__dict__)}])

    frame = _read(spark, job).mapInArrow(task, "result string")
    rows = frame.collect()
    return [PartResult(**json.loads(row["result"])) for row in rows]


def _finish(results: list[PartResult]) -> TokenizeSummary:
    """Raise the first task's agent error or the tripwire's refusal; else the summary."""
    from party_agent.pipeline import refuse_identifiers

    for result in results:
        if result.error is not None:
            name, message = result.error
            raise _ERRORS[name](f"{message} (in one split of the input)")
    hits = [TripwireHit(c, p, n) for r in results for c, p, n in r.hits]
    refuse_identifiers(hits)
    return merge_summaries([r.summary for r in results])


def _replace_dir(new: Path, out: Path) -> None:
    """Put ``new`` at ``out``; an older output directory there is removed after."""
    old = None
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"--out {out} is a file; --engine spark writes a directory")
        old = out.with_name(f".{out.name}.{os.getpid()}.old")
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
