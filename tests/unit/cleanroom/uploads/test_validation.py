"""Schema checks of uploaded files against the dataset kind and the policy's dimensions,
and the row-group scan's tripwire over text columns."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.errors import PiiDetected, SchemaMismatch
from cleanroom.uploads import validation
from cleanroom.uploads.validation import ScanPlan, check_schema, open_for_scan, scan_row_group
from protocols import DatasetKind, token_field
from protocols.tripwire import TripwireHit, scan_column

EXPOSURES = [token_field("email"), ("campaign_id", pa.string()), ("exposure_time", pa.int64())]


def test_a_minimal_exposures_schema_passes() -> None:
    check_schema(pa.schema(EXPOSURES), DatasetKind.EXPOSURES)


def test_several_token_families_are_allowed() -> None:
    check_schema(pa.schema([*EXPOSURES, token_field("phone")]), DatasetKind.EXPOSURES)


def test_a_dimension_column_needs_the_policy() -> None:
    schema = pa.schema([*EXPOSURES, ("placement", pa.string())])
    with pytest.raises(SchemaMismatch, match="unexpected column at position 4 is not declared"):
        check_schema(schema, DatasetKind.EXPOSURES)
    check_schema(schema, DatasetKind.EXPOSURES, frozenset({"placement"}))


def test_a_dimension_column_must_be_a_string() -> None:
    schema = pa.schema([*EXPOSURES, ("placement", pa.int64())])
    with pytest.raises(SchemaMismatch, match="'placement' must be string"):
        check_schema(schema, DatasetKind.EXPOSURES, frozenset({"placement"}))


def test_policy_cannot_retype_a_declared_column() -> None:
    schema = pa.schema(
        [token_field("email"), ("campaign_id", pa.string()), ("exposure_time", pa.string())]
    )
    with pytest.raises(SchemaMismatch, match="'exposure_time' must be int64"):
        check_schema(schema, DatasetKind.EXPOSURES, frozenset({"exposure_time"}))


def test_token_column_named_for_another_family_is_refused() -> None:
    mislabeled = token_field("email").with_name("token_phone")
    schema = pa.schema([mislabeled, ("campaign_id", pa.string()), ("exposure_time", pa.int64())])
    with pytest.raises(SchemaMismatch, match="token family metadata does not match"):
        check_schema(schema, DatasetKind.EXPOSURES)


SPEND = [("campaign_id", pa.string()), ("spend", pa.float64())]
HINT = (
    " (pandas and pyarrow write such columns; 'party-agent tokenize' converts them, "
    "for spend with '--kind spend')"
)


def test_spend_with_the_wire_types_is_accepted() -> None:
    check_schema(pa.schema(SPEND), DatasetKind.SPEND)


@pytest.mark.parametrize(
    ("column", "found", "message"),
    [
        ("campaign_id", pa.large_string(), "must be string for spend, found large_string"),
        (
            "campaign_id",
            pa.dictionary(pa.int32(), pa.string()),
            "must be string for spend, found dictionary<values=string, indices=int32, ordered=0>",
        ),
        ("spend", pa.int64(), "must be double for spend, found int64"),
    ],
)
def test_spend_as_pandas_writes_it_is_refused_with_the_way_out(
    column: str, found: pa.DataType, message: str
) -> None:
    fields = [(name, found if name == column else kind) for name, kind in SPEND]
    with pytest.raises(SchemaMismatch) as caught:
        check_schema(pa.schema(fields), DatasetKind.SPEND)
    assert str(caught.value) == f"column {column!r} {message}{HINT}"


def test_a_type_with_no_conversion_gets_no_hint() -> None:
    fields = [("campaign_id", pa.string()), ("spend", pa.string())]
    with pytest.raises(SchemaMismatch) as caught:
        check_schema(pa.schema(fields), DatasetKind.SPEND)
    assert str(caught.value) == "column 'spend' must be double for spend, found string"


MARKER = "jane.doe@example.com"


@pytest.mark.parametrize(
    "field",
    [
        pa.field(MARKER, pa.string()),
        pa.field(f"token_{MARKER}", pa.binary(32)),
        token_field("email").with_name(f"token_{MARKER}"),
        token_field("email").with_metadata({b"cleanroom.token_version": MARKER.encode()}),
    ],
    ids=["attribute name", "token-like name", "token name", "token version metadata"],
)
def test_a_refusal_never_quotes_a_name_or_value_taken_from_the_file(field: pa.Field) -> None:
    schema = pa.schema([field, *EXPOSURES])
    with pytest.raises(SchemaMismatch) as refused:
        check_schema(schema, DatasetKind.EXPOSURES)
    assert MARKER not in str(refused.value)
    assert "jane" not in str(refused.value)


def _batch_of(values: list[str]) -> pa.DictionaryArray:
    """A text column's batch as a dictionary-encoded read gives it (every value once)."""
    return pa.DictionaryArray.from_arrays(pa.array(range(len(values)), pa.int32()), values)


def test_a_text_column_is_scanned_again_only_when_its_dictionary_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batches repeating a clean dictionary skip the tripwire; a batch with another
    dictionary (a writer that fell back to plain pages) is scanned, and refused."""
    scanned = []

    def counting(name: str, values: pa.Array) -> list[TripwireHit]:
        scanned.append(values.to_pylist())
        return scan_column(name, values)

    monkeypatch.setattr(validation, "scan_column", counting)
    clean = dict[str, pa.Array]()
    for _ in range(3):
        validation._trip_text("campaign_id", _batch_of(["cmp-1", "cmp-2"]), clean)
    assert scanned == [["cmp-1", "cmp-2"]]
    with pytest.raises(PiiDetected, match="email"):
        validation._trip_text("campaign_id", _batch_of(["cmp-1", "jane.doe@example.com"]), clean)
    validation._trip_text("campaign_id", pa.array(["cmp-1"]), clean)  # not encoded: scanned
    assert len(scanned) == 3


def test_a_row_group_of_many_batches_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan counts every row of every batch, and the tripwire sees a value of the
    row group's last batch (each batch carries the column chunk's dictionary)."""
    monkeypatch.setattr(validation, "BATCH_ROWS", 100)
    for campaigns, refused in (
        ([f"cmp-{i % 3}" for i in range(1000)], False),
        ([f"cmp-{i % 3}" for i in range(990)] + ["jane.doe@example.com"] * 10, True),
    ):
        path = tmp_path / f"refused-{refused}.parquet"
        rows = len(campaigns)
        table = pa.table(
            {
                "token_email": pa.array(
                    [bytes([i % 256]) * 32 for i in range(rows)], pa.binary(32)
                ),
                "campaign_id": campaigns,
                "exposure_time": pa.array(range(rows), pa.int64()),
            }
        )
        pq.write_table(table, path, row_group_size=rows)
        plan = ScanPlan.of(pq.read_schema(path))
        parquet = open_for_scan(path, plan)
        if refused:
            with pytest.raises(PiiDetected, match="email"):
                scan_row_group(parquet, 0, plan, Counter())
        else:
            assert scan_row_group(parquet, 0, plan, Counter()) == rows
