"""``party-agent tokenize`` on files the way users have them (issue 15): spend from pandas,
Shift-JIS, local times, NULL-ish amounts, warnings and ``--strict``, progress cadence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from party_agent.cli import app
from party_agent.mapping import load_mapping
from party_agent.pipeline import TokenizeJob, run_tokenize
from party_agent.reading import open_input
from protocols import MatchKey, Tokenizer
from tests.integration.agent_data import COLLABORATION, Party, make_party

runner = CliRunner()
PURCHASES = """\
identifiers:
  - {column: email, type: email}
attributes:
  - {column: total, type: float, as: amount}
  - {column: ts, type: timestamp, as: purchase_time}
"""


@pytest.fixture
def party(tmp_path: Path) -> Party:
    return make_party(tmp_path, PURCHASES)


def tokenize(party: Party, source: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    args = [
        "tokenize", "--home", str(party.home), "--in", str(source), "--out", str(out),
        "--match-key-file", str(party.key_file), "--collaboration", COLLABORATION, *extra,
    ]  # fmt: skip
    if "--mapping" not in extra and "spend" not in extra:
        args += ["--mapping", str(party.mapping)]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


SPEND_SCHEMA = pa.schema([("campaign_id", pa.string()), ("spend", pa.float64())])


@pytest.mark.parametrize(
    "frame_types",
    [
        {"campaign_id": "object", "spend": "float64"},
        {"campaign_id": "string[pyarrow]", "spend": "int64"},
        {"campaign_id": "category", "spend": "float32"},
    ],
    ids=["object-float", "arrow-string-int", "categorical-float32"],
)
def test_spend_parquet_from_pandas_needs_no_mapping(
    party: Party, tmp_path: Path, frame_types: dict[str, str]
) -> None:
    frame = pd.DataFrame({"campaign_id": ["c-1", "c-2", "c-3"], "spend": [1000, 250, 80]})
    frame.astype(frame_types).to_parquet(tmp_path / "spend.parquet")
    out = tmp_path / "spend.out.parquet"
    code, _, stderr = tokenize(party, tmp_path / "spend.parquet", out, "--kind", "spend")
    assert (code, stderr) == (0, "")
    table = pq.read_table(out)
    assert table.schema.remove_metadata() == SPEND_SCHEMA
    assert table.to_pydict() == {
        "campaign_id": ["c-1", "c-2", "c-3"],
        "spend": [1000.0, 250.0, 80.0],
    }


def test_spend_parquet_from_pyarrow_large_strings(party: Party, tmp_path: Path) -> None:
    table = pa.table(
        {
            "campaign_id": pa.array(["c-1", "c-2"], pa.large_string()),
            "spend": pa.array([5, 7], pa.int32()),
            "note": ["ignored", "too"],
        }
    )
    pq.write_table(table, tmp_path / "spend.parquet")
    out = tmp_path / "out.parquet"
    code, stdout, stderr = tokenize(party, tmp_path / "spend.parquet", out, "--kind", "spend")
    assert (code, stderr) == (0, "")
    assert "rows written:   2" in stdout
    assert pq.read_table(out).schema.remove_metadata() == SPEND_SCHEMA


def test_a_bad_spend_row_is_named_and_nothing_is_written(party: Party, tmp_path: Path) -> None:
    source = write(tmp_path / "spend.csv", "campaign_id,spend\nc-1,100\nc-2,lots\n")
    out = tmp_path / "out.parquet"
    code, _, stderr = tokenize(party, source, out, "--kind", "spend")
    assert code == 1 and not out.exists()
    assert stderr == (
        "error: column 'spend', data row 2: value is not a valid float (set "
        "'invalid_attributes: drop' in the mapping to drop such rows)\n"
    )
    missing = write(tmp_path / "missing.csv", "campaign_id,spend\n,100\n")
    code, _, stderr = tokenize(party, missing, out, "--kind", "spend")
    assert code == 1 and "column 'campaign_id', data row 1: value is missing" in stderr
    wrong = write(tmp_path / "wrong.csv", "campaign,cost\nc-1,100\n")
    code, _, stderr = tokenize(party, wrong, out, "--kind", "spend")
    assert (code, stderr) == (
        2,
        "error: a spend file needs column(s) campaign_id, spend (or pass --mapping)\n",
    )


SHIFT_JIS = "メール,金額,日時\ntaro@example.jp,1200,2024-01-05 09:00:00\n"
SJIS_MAPPING = """\
timezone: Asia/Tokyo
identifiers: [{column: メール, type: email}]
attributes:
  - {column: 金額, type: float, as: amount}
  - {column: 日時, type: timestamp, as: purchase_time}
"""


@pytest.mark.parametrize("encoding", ["cp932", "shift_jis"])
def test_shift_jis_needs_encoding_and_the_error_says_which(tmp_path: Path, encoding: str) -> None:
    party = make_party(tmp_path, SJIS_MAPPING)
    source = write(tmp_path / "orders.csv", SHIFT_JIS, "shift_jis")
    out = tmp_path / "out.parquet"
    code, _, stderr = tokenize(party, source, out)
    assert code == 1
    assert stderr == (
        f"error: cannot decode the CSV header of {source} as UTF-8; try --encoding cp932\n"
    )
    code, _, stderr = tokenize(party, source, out, "--encoding", encoding, "--json")
    assert (code, stderr) == (0, "")
    row = pq.read_table(out).to_pylist()[0]
    assert (row["amount"], row["purchase_time"]) == (1200.0, 1704412800)  # 00:00 UTC


def test_undecodable_text_after_the_header_gets_the_hint_too(party: Party, tmp_path: Path) -> None:
    text = "email,total,ts\n" + "a@example.com,1,1704067200\n" * 3 + "山田@example.jp,1,1\n"
    source = write(tmp_path / "in.csv", text, "cp932")
    code, _, stderr = tokenize(party, source, tmp_path / "out.parquet")
    assert code == 1
    assert stderr.startswith(f"error: {source} is not valid utf8 text; try --encoding cp932")


def test_local_times_need_a_declared_zone(party: Party, tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", "email,total,ts\na@example.com,1,2024-01-05 09:00\n")
    out = tmp_path / "out.parquet"
    code, _, stderr = tokenize(party, source, out)
    assert code == 1 and not out.exists()
    assert stderr == (
        "error: column 'ts' data row 1 has no UTC offset and no time zone is declared; set "
        "'timezone:' in the mapping (e.g. Asia/Tokyo) or pass --timezone\n"
    )
    code, _, stderr = tokenize(party, source, out, "--timezone", "Asia/Tokyo")
    assert (code, stderr) == (0, "")
    assert pq.read_table(out).column("purchase_time").to_pylist() == [1704412800]
    code, _, stderr = tokenize(party, source, out, "--timezone", "Asia/Tokio")
    assert code == 2 and "--timezone: unknown timezone 'Asia/Tokio'" in stderr


def test_a_mix_of_offsets_and_local_times_is_named(party: Party, tmp_path: Path) -> None:
    rows = "a@example.com,1,2024-01-05T09:00:00+09:00\n" * 5 + "b@example.com,1,2024-01-05\n"
    source = write(tmp_path / "in.csv", "email,total,ts\n" + rows)
    code, _, stderr = tokenize(party, source, tmp_path / "out.parquet", "--batch-size", "2")
    assert code == 1
    assert stderr.startswith(
        "error: column 'ts' mixes timestamps with and without a UTC offset: data row 6 has "
        "no UTC offset"
    )


NULLS = "email,total,ts\na@example.com,NaN,1\nb@example.com,N/A,1\nc@example.com,7.5,1\n"


@pytest.mark.parametrize(
    ("declaration", "amounts", "dropped"),
    [
        ("null_values: [NaN, N/A], on_null: keep", [None, None, 7.5], {}),
        ("null_values: [NaN, N/A], on_null: zero", [0.0, 0.0, 7.5], {}),
        ("null_values: [NaN, N/A], on_null: drop", [7.5], {"total": 2}),
    ],
)
def test_null_texts_do_what_the_mapping_declares(
    tmp_path: Path, declaration: str, amounts: list[float | None], dropped: dict[str, int]
) -> None:
    mapping = PURCHASES.replace("as: amount}", f"as: amount, {declaration}}}")
    party = make_party(tmp_path, mapping)
    source = write(tmp_path / "in.csv", NULLS)
    out = tmp_path / "out.parquet"
    code, stdout, stderr = tokenize(party, source, out, "--json")
    assert (code, stderr) == (0, "")
    assert pq.read_table(out).column("amount").to_pylist() == amounts
    assert f'"rows_dropped_null": {dropped}'.replace("'", '"') in stdout


def test_undeclared_null_texts_are_invalid_values(party: Party, tmp_path: Path) -> None:
    code, _, stderr = tokenize(party, write(tmp_path / "in.csv", NULLS), tmp_path / "o.parquet")
    assert code == 1
    assert stderr.startswith("error: column 'total', data row 1: value is not a valid float")


def test_on_null_error_names_the_row(tmp_path: Path) -> None:
    party = make_party(tmp_path, PURCHASES.replace("as: amount}", "as: amount, on_null: error}"))
    source = write(tmp_path / "in.csv", "email,total,ts\na@example.com,1,1\nb@example.com,,1\n")
    code, _, stderr = tokenize(party, source, tmp_path / "out.parquet")
    assert code == 1
    assert stderr == (
        "error: column 'total', data row 2: value is missing (the mapping says 'on_null: "
        "error'; use drop or zero, or list the text in null_values)\n"
    )


@pytest.mark.parametrize(
    ("rows", "warning"),
    [
        ("", "no rows written: the input has no data rows"),
        ("nope,1,1\nnada,1,1\n", "every value of 'email' is invalid (2 rows)"),
        ("a@example.com,1,1\n" * 3 + "b@example.com,1,1\n", "50.0% of the written rows"),
    ],
)
def test_warnings_and_strict(party: Party, tmp_path: Path, rows: str, warning: str) -> None:
    source = write(tmp_path / "in.csv", "email,total,ts\n" + rows)
    out = tmp_path / "out.parquet"
    code, stdout, stderr = tokenize(party, source, out)
    assert (code, stderr) == (0, "")
    assert f"warning: {warning}" in stdout
    out.unlink()
    code, _, stderr = tokenize(party, source, out, "--strict")
    assert code == 1 and not out.exists()
    assert stderr.startswith("error: --strict: ") and stderr.endswith("nothing was written\n")
    assert warning in stderr


def test_attribute_transforms_merge_spellings_of_one_channel(tmp_path: Path) -> None:
    mapping = """\
identifiers: [{column: email, type: email}]
attributes:
  - {column: channel, type: string, transform: [trim, lower], values: {connected tv: ctv}}
"""
    party = make_party(tmp_path, mapping)
    text = "email,channel\na@example.com,CTV\nb@example.com, ctv\nc@example.com,Connected TV\n"
    out = tmp_path / "out.parquet"
    code, _, stderr = tokenize(party, write(tmp_path / "in.csv", text), out)
    assert (code, stderr) == (0, "")
    assert pq.read_table(out).column("channel").to_pylist() == ["ctv", "ctv", "ctv"]


def test_invalid_phones_come_with_made_up_examples_only(tmp_path: Path) -> None:
    mapping = "identifiers: [{column: phone, type: phone, regions: [US]}]\n"
    party = make_party(tmp_path, mapping)
    text = "phone\n(415) 555-2671\n090-1234-5678\nask at desk\n"
    code, stdout, _ = tokenize(party, write(tmp_path / "in.csv", text), tmp_path / "o.parquet")
    assert code == 0
    assert "invalid 'phone': 2 (invalid_phone 1, not_a_phone_number 1)" in stdout
    assert "  invalid_phone: a number that is not valid in the region it was read in" in stdout
    assert "  not_a_phone_number: not a number, or a national number with no region" in stdout
    assert "1234" not in stdout and "desk" not in stdout  # made-up examples, not the file's


class SlowUpdates:
    """A progress sink on a simulated clock: each row tokenized "takes" ``row_cost`` s."""

    def __init__(self, row_cost: float) -> None:
        self.row_cost, self.now, self.rows = row_cost, 0.0, 0
        self.calls: list[tuple[float, int, int]] = []

    def clock(self) -> float:
        return self.now

    def update(self, bytes_done: int, rows_done: int) -> None:
        self.now += (rows_done - self.rows) * self.row_cost
        self.rows = rows_done
        self.calls.append((self.now, bytes_done, rows_done))


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("big") / "big.csv"
    line = "someone.{:07d}@example.com,12.5,1704067200\n"
    with source.open("w") as handle:
        handle.write("email,total,ts\n")
        handle.writelines(line.format(i) for i in range(300_000))
    return source


def _run(source: Path, tmp_path: Path, sink: SlowUpdates) -> None:
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(PURCHASES)
    opened = open_input(source)
    mapping = load_mapping(mapping_path, opened.header)
    tokenizer = Tokenizer(MatchKey(bytes(32)), COLLABORATION)
    job = TokenizeJob(mapping, tokenizer, opened, tmp_path / "out.parquet", 262_144)
    run_tokenize(job, sink, clock=sink.clock)


@pytest.mark.parametrize("row_cost", [40e-6, 2e-6, 0.5e-6])
def test_progress_moves_at_least_twice_a_second_at_any_speed(
    big_csv: Path, tmp_path: Path, row_cost: float
) -> None:
    """A 13 MB file: slow (40 us a row, phones through phonenumbers), medium and fast.
    The bar used to sit at 0 until the whole file was done (one 32 MiB block, and it
    showed bytes read ahead rather than done)."""
    sink = SlowUpdates(row_cost)
    _run(big_csv, tmp_path, sink)
    times = [t for t, _, _ in sink.calls]
    gaps = [b - a for a, b in zip([0.0, *times], times, strict=False)]
    assert max(gaps) <= 0.5
    assert len(sink.calls) >= times[-1] / 0.5
    done = [b for _, b, _ in sink.calls]
    assert done == sorted(done) and done[-1] == big_csv.stat().st_size
    assert [r for _, _, r in sink.calls][-1] == 300_000
    if row_cost == 40e-6:  # the 16 MB file that sat at 0 for 7 s: now 2+ updates per MiB
        assert len(sink.calls) / (big_csv.stat().st_size / (1 << 20)) >= 2


def test_fast_runs_keep_whole_batches(big_csv: Path, tmp_path: Path) -> None:
    """Chunks grow back to the batch size when tokenizing is fast: no per-chunk cost."""
    sink = SlowUpdates(0.01e-6)
    _run(big_csv, tmp_path, sink)
    assert len(sink.calls) <= 6


def test_without_a_bar_batches_are_not_cut(big_csv: Path, tmp_path: Path) -> None:
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(PURCHASES)
    opened = open_input(big_csv)
    mapping = load_mapping(mapping_path, opened.header)
    tokenizer = Tokenizer(MatchKey(bytes(32)), COLLABORATION)
    job = TokenizeJob(mapping, tokenizer, opened, tmp_path / "out.parquet", 262_144)
    sink = SlowUpdates(40e-6)
    run_tokenize(job, sink, clock=sink.clock, paced=False)
    assert [r for _, _, r in sink.calls] == [262_144, 300_000]
    assert pq.ParquetFile(tmp_path / "out.parquet").metadata.num_row_groups == 2
