"""``tokenize --engine spark``: the protocol's test vectors pass, and the part files hold
the single-machine file's columns byte for byte, with the same schema and binding."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cleanroom.engine import SparkSettings
from party_agent.cli import app
from party_agent.spark_tokenize import merge_summaries
from tests.integration.agent_data import COLLABORATION, make_party, write_csv
from tests.vectors import load_vectors

runner = CliRunner()
VECTOR_MAPPING = """\
identifiers:
  - {column: email, type: email}
  - {column: maid, type: maid}
  - {column: customer_id, type: customer_id}
"""


def tokenize(party_home: Path, mapping: Path, key: Path, source: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    args = [
        "tokenize", "--home", str(party_home), "--mapping", str(mapping), "--in", str(source),
        "--out", str(out), "--match-key-file", str(key), "--collaboration", COLLABORATION,
        "--json", *extra,
    ]  # fmt: skip
    return runner.invoke(app, args)


def parts(directory: Path) -> pa.Table:
    files = sorted(directory.glob("part-*.parquet"))
    assert files, "no part file"
    schemas = {pq.read_schema(f) for f in files}
    assert len(schemas) == 1
    return pa.concat_tables(pq.read_table(f) for f in files)


def test_the_vectors_pass_on_spark(spark_settings: SparkSettings, tmp_path: Path) -> None:
    vectors = load_vectors()
    columns = ("email", "maid", "customer_id")
    cases = {
        c: [v for v in vectors["cases"] if v["id_type"] == c and not v["fold_gmail"]]
        for c in columns
    }
    rows = max(len(v) for v in cases.values())
    source = tmp_path / "vectors.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(rows):
            writer.writerow([cases[c][i]["raw"] if i < len(cases[c]) else "" for c in columns])
    party = make_party(tmp_path, VECTOR_MAPPING)
    party.key_file.write_text(vectors["match_key_hex"])
    out = tmp_path / "tokens"
    done = runner.invoke(
        app,
        [
            "tokenize",
            "--home",
            str(party.home),
            "--mapping",
            str(party.mapping),
            "--in",
            str(source),
            "--out",
            str(out),
            "--match-key-file",
            str(party.key_file),
            "--collaboration",
            vectors["collaboration_id"],
            "--json",
            "--engine",
            "spark",
            "--spark-master",
            spark_settings.master,
        ],
    )
    assert done.exit_code == 0, done.output
    found = parts(out)
    expected = []
    for i in range(rows):
        tokens = {
            f"token_{c}": bytes.fromhex(cases[c][i]["token_hex"])
            if i < len(cases[c]) and cases[c][i].get("token_hex")
            else None
            for c in columns
        }
        if any(tokens.values()):
            expected.append(tokens)
    assert found.to_pylist() == expected
    assert json.loads(done.stdout)["rows_written"] == len(expected)


def test_spark_parts_equal_the_single_machine_file_column_by_column(
    spark_settings: SparkSettings, tmp_path: Path
) -> None:
    party = make_party(tmp_path)
    source = tmp_path / "in.csv"
    write_csv(source, 600)
    local, spark_out = tmp_path / "local.parquet", tmp_path / "spark"
    common = (party.home, party.mapping, party.key_file, source)
    single = tokenize(*common, local)
    assert single.exit_code == 0, single.output
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    session.conf.set("spark.sql.files.maxPartitionBytes", "16384")  # several splits
    try:
        spread = tokenize(*common, spark_out, "--engine", "spark")
    finally:
        session.conf.unset("spark.sql.files.maxPartitionBytes")
    assert spread.exit_code == 0, spread.output
    assert len(list(spark_out.glob("part-*.parquet"))) > 1
    reference, found = pq.read_table(local), parts(spark_out)
    assert found.schema.equals(reference.schema, check_metadata=True)
    for name in reference.column_names:
        assert (
            found.column(name).combine_chunks().equals(reference.column(name).combine_chunks())
        ), name
    one, many = json.loads(single.stdout), json.loads(spread.stdout)
    for key in ("rows_read", "rows_written", "invalid_identifiers", "tokens_written"):
        assert one[key] == many[key], key


def test_an_unknown_engine_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    party = make_party(tmp_path)
    source = tmp_path / "in.csv"
    write_csv(source, 3)
    done = tokenize(
        party.home, party.mapping, party.key_file, source, tmp_path / "o", "--engine", "gpu"
    )
    assert done.exit_code != 0
    assert "unknown --engine 'gpu'; use local or spark" in done.output


def test_summaries_of_the_parts_add_up() -> None:
    part = {
        "rows_read": 3, "rows_written": 2, "rows_dropped_no_identifier": 1,
        "rows_dropped_invalid_attribute": {"amount": 1}, "tokens_written": {"email": 2},
        "invalid_identifiers": {"email": {"no_at_sign": 1}},
    }  # fmt: skip
    total = merge_summaries([part, part])
    assert (total.rows_read, total.rows_written, total.rows_dropped_no_identifier) == (6, 4, 2)
    assert total.tokens_written == {"email": 4}
    assert total.rows_dropped_invalid_attribute == {"amount": 2}
    assert sum(total.invalid_identifiers["email"].values()) == 2


@pytest.mark.parametrize("missing", ["pyspark", "java"])
def test_a_missing_spark_or_java_is_named(missing: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util
    import shutil

    from party_agent import spark_tokenize

    if missing == "pyspark":
        monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
        assert spark_tokenize.spark_missing() == (
            "--engine spark needs pyspark: pip install 'cleanroom-match[spark]'"
        )
    else:
        monkeypatch.setattr(shutil, "which", lambda name: None)
        monkeypatch.setenv("JAVA_HOME", "/nonexistent")
        reason = spark_tokenize.spark_missing()
        assert reason is not None and "openjdk-17-jre-headless" in reason
