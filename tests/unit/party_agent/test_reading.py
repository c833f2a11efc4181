"""Input reading: formats, delimiters, gzip, batching, header errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from party_agent.errors import ConfigError, InputError
from party_agent.reading import open_input, sniff_delimiter

ROWS = [{"email": f"u{i}@example.com", "amount": str(i)} for i in range(25)]


def _csv(path: Path, delimiter: str = ",") -> Path:
    lines = [f"email{delimiter}amount"] + [f"{r['email']}{delimiter}{r['amount']}" for r in ROWS]
    path.write_text("\n".join(lines) + "\n")
    return path


def _read_all(path: Path, batch_size: int = 7, **kwargs: str) -> tuple[list[str], list[int]]:
    source = open_input(path, **kwargs)  # type: ignore[arg-type]
    batches = list(source.batches(["email", "amount"], batch_size))
    table = pa.Table.from_batches(batches)
    assert source.bytes_read == source.size
    return table.column("email").to_pylist(), [b.num_rows for b in batches]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    emails, sizes = _read_all(_csv(tmp_path / "in.csv", delimiter))
    assert emails == [r["email"] for r in ROWS]
    assert sizes == [7, 7, 7, 4]


def test_gzip_csv_is_detected_by_its_bytes(tmp_path: Path) -> None:
    plain = _csv(tmp_path / "in.csv")
    packed = tmp_path / "in.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert _read_all(packed)[0] == [r["email"] for r in ROWS]


def test_parquet_reads_only_the_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{**r, "other": 1} for r in ROWS]), path)
    source = open_input(path)
    assert source.header == ["email", "amount", "other"]
    assert _read_all(path)[1] == [7, 7, 7, 4]


def test_jsonl_with_mixed_types_and_gzip(tmp_path: Path) -> None:
    records = [{"email": r["email"], "amount": int(r["amount"])} for r in ROWS]
    records[3]["amount"] = "3.50"  # type: ignore[assignment]
    text = "\n".join(json.dumps(r) for r in records) + "\n\n"
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(gzip.compress(text.encode()))
    source = open_input(path)
    batch = next(source.batches(["email", "amount"], 100))
    assert batch.column("amount").to_pylist()[2:5] == ["2", "3.50", "4"]


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"email": "a@b.co"}\n[1, 2]\n')
    with pytest.raises(InputError, match=r"^JSON Lines input line 2 is not a JSON object$"):
        open_input(path)


def test_ragged_csv_error_names_counts_not_content(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email,amount\nsecret@example.com,1,extra\n")
    source = open_input(path)
    with pytest.raises(InputError) as caught:
        list(source.batches(["email", "amount"], 10))
    assert "secret" not in str(caught.value)
    assert "Expected 2 columns, got 3" in str(caught.value)


def test_unknown_extension_asks_for_format(tmp_path: Path) -> None:
    path = tmp_path / "in.dat"
    path.write_text("email\n")
    with pytest.raises(ConfigError, match=r"cannot tell the format of in\.dat"):
        open_input(path)
    assert open_input(path, format="csv").header == ["email"]


def test_duplicate_header_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email,email\n")
    with pytest.raises(InputError, match="header repeats column names: email"):
        open_input(path)


def test_sniff_defaults_to_comma() -> None:
    assert sniff_delimiter("email") == ","
    assert sniff_delimiter("a;b;c,d") == ";"
