"""``party-agent init`` and ``tokenize`` end to end, through Typer's runner."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from party_agent.cli import app
from protocols import DatasetKind, IdType, NormalizeOptions, Tokenizer, check_token_field, kind_of
from tests.integration.agent_data import COLLABORATION, MAPPING, Party, make_party, write_csv

runner = CliRunner()
ROWS = 120


@pytest.fixture
def party(tmp_path: Path) -> Party:
    return make_party(tmp_path)


def tokenize(party: Party, source: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    args = [
        "tokenize", "--home", str(party.home), "--mapping", str(party.mapping),
        "--in", str(source), "--out", str(out), "--match-key-file", str(party.key_file),
        "--collaboration", COLLABORATION, *extra,
    ]  # fmt: skip
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def expected_rows(party: Party, records: list[dict[str, str]]) -> list[dict[str, object]]:
    """The reference answer, one value at a time through ``Tokenizer.token``."""
    tokenizer = Tokenizer(party.key, COLLABORATION)
    phone_options = NormalizeOptions(region="US")
    rows = []
    for record in records:
        email = tokenizer.token(IdType.EMAIL, record["email"] or None)
        if not isinstance(email, bytes):
            email = tokenizer.token(IdType.EMAIL_SHA256, record["email_hash"] or None)
        phone = tokenizer.token(IdType.PHONE, record["phone"] or None, phone_options)
        tokens = {
            "token_email": email if isinstance(email, bytes) else None,
            "token_phone": phone if isinstance(phone, bytes) else None,
        }
        if tokens["token_email"] is None and tokens["token_phone"] is None:
            continue
        rows.append({**tokens, "amount": float(record["order_total"]),
                     "store_region": record["store"]})  # fmt: skip
    return rows


def read_out(out: Path) -> list[dict[str, object]]:
    table = pq.read_table(out)
    return [{k: v for k, v in r.items() if k != "purchase_time"} for r in table.to_pylist()]


def test_init_prints_both_fingerprints_and_refuses_to_overwrite(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = runner.invoke(app, ["init", "--home", str(home), "--party", "brand"])
    assert first.exit_code == 0
    assert "x25519 (match-key wrapping) fingerprint:" in first.stdout
    assert "ed25519 (policy signing) fingerprint:" in first.stdout
    again = runner.invoke(app, ["init", "--home", str(home), "--party", "brand"])
    assert again.exit_code == 2
    assert again.stderr == f"error: {home} already holds a party home; use --force to replace it\n"
    forced = runner.invoke(app, ["init", "--home", str(home), "--party", "brand", "--force"])
    assert forced.exit_code == 0 and forced.stdout != first.stdout


def test_tokens_equal_the_reference_tokenizer(party: Party, tmp_path: Path) -> None:
    records = write_csv(tmp_path / "in.csv", ROWS)
    code, stdout, stderr = tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet", "--json")
    assert (code, stderr) == (0, "")
    assert read_out(tmp_path / "out.parquet") == expected_rows(party, records)
    summary = json.loads(stdout)
    assert summary["rows_read"] == ROWS
    assert summary["rows_written"] + summary["rows_dropped_no_identifier"] == ROWS
    assert summary["invalid_identifiers"]["email"]["no_at_sign"] > 0
    assert set(summary) >= {"seconds", "rows_per_second", "tokens_written"}


def test_output_schema_is_tagged_and_typed(party: Party, tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", 30)
    assert tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet", "-q")[0] == 0
    schema = pq.read_schema(tmp_path / "out.parquet")
    assert schema.names == ["token_email", "token_phone", "amount", "purchase_time", "store_region"]
    assert [check_token_field(schema.field(n)) for n in schema.names[:2]] == ["email", "phone"]
    assert schema.field("purchase_time").type == pa.int64()


def test_tokens_are_stored_for_the_server_to_probe_on_the_page_bytes(
    party: Party, tmp_path: Path
) -> None:
    """Token columns PLAIN and uncompressed (random bytes: nothing to gain), attributes
    zstd; the server's scan reads such token chunks straight off their pages."""
    from cleanroom.uploads.plain_pages import ReadBuffer, leaf_index, plain_tokens

    write_csv(tmp_path / "in.csv", ROWS)
    out = tmp_path / "out.parquet"
    assert tokenize(party, tmp_path / "in.csv", out, "-q", "--batch-size", "40")[0] == 0
    parquet = pq.ParquetFile(out)
    metadata, nulls = parquet.metadata, 0
    for group in range(metadata.num_row_groups):
        for name in ("token_email", "token_phone"):
            leaf = leaf_index(metadata, name)
            assert leaf is not None
            chunk = metadata.row_group(group).column(leaf)
            assert (chunk.compression, chunk.has_dictionary_page) == ("UNCOMPRESSED", False)
            decoded = parquet.read_row_group(group, columns=[name]).column(0).combine_chunks()
            with out.open("rb") as handle:
                values = plain_tokens(handle, metadata, group, leaf, ReadBuffer())
            assert values is not None and values.equals(decoded.drop_null())
            nulls += decoded.null_count
        assert metadata.row_group(group).column(2).compression == "ZSTD"
    assert nulls > 0  # rejected identifiers among them


def test_a_file_larger_than_the_batch_size(party: Party, tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", ROWS)
    tokenize(party, tmp_path / "in.csv", tmp_path / "whole.parquet", "-q")
    code, _, _ = tokenize(party, tmp_path / "in.csv", tmp_path / "small.parquet", "-q",
                          "--batch-size", "7")  # fmt: skip
    assert code == 0
    assert pq.ParquetFile(tmp_path / "small.parquet").metadata.num_row_groups > 10
    assert read_out(tmp_path / "small.parquet") == read_out(tmp_path / "whole.parquet")


def test_tokens_are_stored_plain_and_attributes_compressed(party: Party, tmp_path: Path) -> None:
    """Tokens are distinct random bytes: neither zstd nor a dictionary makes them smaller;
    event times are nearly all distinct: no dictionary for them either."""
    write_csv(tmp_path / "in.csv", ROWS)
    assert tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet", "-q")[0] == 0
    group = pq.ParquetFile(tmp_path / "out.parquet").metadata.row_group(0)
    chunks = {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}
    for name in ("token_email", "token_phone"):
        assert chunks[name].compression == "UNCOMPRESSED"
        assert "PLAIN_DICTIONARY" not in chunks[name].encodings
        assert "RLE_DICTIONARY" not in chunks[name].encodings
    for name in ("amount", "store_region"):
        assert chunks[name].compression == "ZSTD"
        assert "RLE_DICTIONARY" in chunks[name].encodings
    assert chunks["purchase_time"].compression == "ZSTD"  # event times: nearly all distinct
    assert "RLE_DICTIONARY" not in chunks["purchase_time"].encodings


@pytest.mark.parametrize("kind", ["gzip", "semicolon", "jsonl", "parquet"])
def test_every_input_format_gives_the_same_output(party: Party, tmp_path: Path, kind: str) -> None:
    records = write_csv(tmp_path / "in.csv", ROWS)
    source = {"gzip": tmp_path / "in.csv.gz", "semicolon": tmp_path / "semi.csv",
              "jsonl": tmp_path / "in.jsonl", "parquet": tmp_path / "in.parquet"}[kind]  # fmt: skip
    if kind == "gzip":
        source.write_bytes(gzip.compress((tmp_path / "in.csv").read_bytes()))
    elif kind == "semicolon":
        write_csv(source, ROWS, delimiter=";")
    elif kind == "jsonl":
        source.write_text("".join(json.dumps({k: v or None for k, v in r.items()}) + "\n"
                                  for r in records))  # fmt: skip
    else:
        empty_is_null = [{k: v or None for k, v in r.items()} for r in records]
        pq.write_table(pa.Table.from_pylist(empty_is_null), source)
    assert tokenize(party, source, tmp_path / "out.parquet", "-q", "--batch-size", "50")[0] == 0
    assert read_out(tmp_path / "out.parquet") == expected_rows(party, records)


def test_raw_and_prehashed_emails_meet(party: Party, tmp_path: Path) -> None:
    email = "Someone@Example.com"
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    (tmp_path / "in.csv").write_text(
        "email,email_hash,phone,order_total,order_time,store\n"
        f"{email},,,1,2024-01-01,a\n,{digest},,2,2024-01-01,b\n"
    )
    assert tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet", "-q")[0] == 0
    tokens = pq.read_table(tmp_path / "out.parquet").column("token_email").to_pylist()
    assert tokens[0] == tokens[1] is not None


def test_bad_attribute_stops_with_column_and_row(party: Party, tmp_path: Path) -> None:
    records = write_csv(tmp_path / "in.csv", ROWS)
    assert records[53]["order_total"] == "53.53"
    text = (tmp_path / "in.csv").read_text()
    (tmp_path / "in.csv").write_text(text.replace(",53.53,", ",twelve,"))
    (tmp_path / "out.parquet").write_bytes(b"previous output")
    code, _, stderr = tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet",
                                    "--batch-size", "10")  # fmt: skip
    assert code == 1
    assert stderr == (
        "error: column 'order_total', data row 54: value is not a valid float "
        "(set 'invalid_attributes: drop' in the mapping to drop such rows)\n"
    )
    assert (tmp_path / "out.parquet").read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "home",
        "in.csv",
        "mapping.yaml",
        "match.key",
        "out.parquet",
    ]


def test_bad_attributes_can_be_dropped_and_counted(tmp_path: Path) -> None:
    party = make_party(tmp_path, MAPPING + "invalid_attributes: drop\n")
    write_csv(tmp_path / "in.csv", 20)
    text = (tmp_path / "in.csv").read_text()
    (tmp_path / "in.csv").write_text(text.replace(",1.01,", ",NaN?,"))
    code, stdout, _ = tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet", "--json")
    assert code == 0
    assert json.loads(stdout)["rows_dropped_invalid_attribute"] == {"order_total": 1}


def test_mapping_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    party = make_party(
        tmp_path, MAPPING.replace("region: US", "region: ZZ") + "  - {column: x, type: int}\n"
    )
    write_csv(tmp_path / "in.csv", 5)
    code, stdout, stderr = tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet")
    assert code == 2 and stdout == ""
    assert stderr.startswith(f"error: mapping {party.mapping} has 2 problems: ")
    assert stderr.count("\n") == 1
    assert not (tmp_path / "out.parquet").exists()


def test_kind_option_checks_the_output_schema(party: Party, tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", 5)
    code, _, stderr = tokenize(
        party, tmp_path / "in.csv", tmp_path / "o.parquet", "--kind", "exposures"
    )
    assert code == 2
    assert "kind 'exposures' needs an attribute named 'campaign_id'" in stderr
    assert (
        tokenize(party, tmp_path / "in.csv", tmp_path / "o.parquet", "--kind", "purchases")[0] == 0
    )


def test_match_key_from_the_home(party: Party, tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", 5)
    args = ["tokenize", "--home", str(party.home), "--mapping", str(party.mapping),
            "--in", str(tmp_path / "in.csv"), "--out", str(tmp_path / "o.parquet"),
            "-q"]  # fmt: skip
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: no collaboration: pass --collaboration")
    from party_agent.home import PartyHome

    home = PartyHome.open(party.home)
    home.set_config(collaboration=COLLABORATION)
    absent = runner.invoke(app, args)
    assert absent.exit_code == 2
    assert f"no match key for collaboration '{COLLABORATION}'" in absent.stderr
    home.store_match_key(COLLABORATION, party.key)
    assert runner.invoke(app, args).exit_code == 0


def test_text_summary_counts_reasons(party: Party, tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", ROWS)
    code, stdout, _ = tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet")
    assert code == 0
    assert f"rows read:      {ROWS}" in stdout
    assert "invalid 'email':" in stdout and "no_at_sign" in stdout
    assert "rows/s" in stdout


def test_an_input_with_only_a_header_gives_an_empty_file(party: Party, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("email,email_hash,phone,order_total,order_time,store\n")
    code, stdout, _ = tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet", "--json")
    assert code == 0
    assert json.loads(stdout)["rows_read"] == 0
    assert pq.read_table(tmp_path / "out.parquet").num_rows == 0


def test_format_and_delimiter_flags(party: Party, tmp_path: Path) -> None:
    records = write_csv(tmp_path / "in.dat", ROWS, delimiter="\t")
    args = ("-q", "--format", "csv", "--delimiter", "tab")
    assert tokenize(party, tmp_path / "in.dat", tmp_path / "out.parquet", *args)[0] == 0
    assert read_out(tmp_path / "out.parquet") == expected_rows(party, records)
    code, _, stderr = tokenize(party, tmp_path / "in.dat", tmp_path / "o.parquet", "-q")
    assert (code, stderr) == (
        2,
        "error: cannot tell the format of in.dat from its name; use --format\n",
    )
    code, _, stderr = tokenize(party, tmp_path / "in.dat", tmp_path / "o.parquet",
                               "--format", "csv", "--delimiter", "ab")  # fmt: skip
    assert code == 2 and stderr.startswith("error: --delimiter is one character")


FREE_TEXT_MAPPING = MAPPING + "  - {column: notes, type: string, as: note, free_text: true}\n"


@pytest.mark.parametrize(
    ("leak", "pattern"),
    [
        ("jane.doe@example.com", "email addresses"),
        ("jane.doe at example dot com", "email addresses"),
        ("tel:+16502530000", "phone numbers"),
        (hashlib.md5(b"jane.doe@example.com").hexdigest(), "hex digests"),  # noqa: S324
    ],
)
def test_identifier_in_an_attribute_column_stays_at_home(
    party: Party, tmp_path: Path, leak: str, pattern: str
) -> None:
    write_csv(tmp_path / "in.csv", ROWS)
    assert tokenize(party, tmp_path / "in.csv", tmp_path / "clean.parquet", "-q")[0] == 0
    stores = pq.read_table(tmp_path / "clean.parquet").column("store_region").to_pylist()
    rows = stores.count("region-1") + stores.count("region-2")
    (tmp_path / "clean.parquet").unlink()
    text = (tmp_path / "in.csv").read_text()
    for region in ("region-1", "region-2"):
        text = text.replace(f",{region},", f",{leak},")
    (tmp_path / "in.csv").write_text(text)
    code, stdout, stderr = tokenize(
        party, tmp_path / "in.csv", tmp_path / "out.parquet", "--batch-size", "16"
    )
    assert code == 1
    assert stderr.startswith(f"error: column 'store': {rows} row(s) look like {pattern}")
    assert stderr.count("\n") == 1 and leak not in stderr + stdout
    assert not (tmp_path / "out.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "in.csv", "mapping.yaml",
                                                          "match.key"]  # fmt: skip


def test_declared_free_text_is_not_scanned(tmp_path: Path) -> None:
    party = make_party(tmp_path, FREE_TEXT_MAPPING)
    write_csv(tmp_path / "in.csv", 20)
    text = (tmp_path / "in.csv").read_text().replace("free text 3", "call 650 253 0000")
    (tmp_path / "in.csv").write_text(text)
    code, _, stderr = tokenize(party, tmp_path / "in.csv", tmp_path / "out.parquet", "-q")
    assert (code, stderr) == (0, "")
    assert "note" in pq.read_schema(tmp_path / "out.parquet").names


def test_a_declared_kind_is_written_for_upload_to_read(party: Party, tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", 5)
    assert tokenize(party, tmp_path / "in.csv", tmp_path / "plain.parquet", "-q")[0] == 0
    assert b"cleanroom.kind" not in (pq.read_schema(tmp_path / "plain.parquet").metadata or {})
    party.mapping.write_text("kind: purchases\n" + party.mapping.read_text())
    assert tokenize(party, tmp_path / "in.csv", tmp_path / "kind.parquet", "-q")[0] == 0
    schema = pq.read_schema(tmp_path / "kind.parquet")
    assert schema.metadata[b"cleanroom.kind"] == b"purchases"
    assert kind_of(schema) is DatasetKind.PURCHASES
