"""cleanroom.blinding.rejoin: the streaming join equals the in-memory one across chunk
boundaries, and a batch whose rows do not match its column writes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cleanroom.blinding import rejoin
from cleanroom.blinding.files import ORDER, REPLY
from cleanroom.blinding.rejoin import RejoinMismatch, Replacement, rejoin_file
from cleanroom.errors import InternalError
from protocols import DOUBLY_BLINDED_VERSION, ONCE_BLINDED_VERSION, versioned_field
from protocols.tokens import TOKEN_TYPE

ROWS = 1_000


def _points(count: int) -> pa.Array:
    return pa.FixedSizeBinaryArray.from_buffers(
        TOKEN_TYPE, count, [None, pa.py_buffer(os.urandom(32 * count))]
    )


def _files(folder: Path, *, families: tuple[str, ...] = ("email", "phone")) -> dict[str, tuple]:
    """A version file with one token column per family (nulls every 7th row of email,
    every 3rd of phone) and each family's batch files; returns the expected columns."""
    rng = np.random.default_rng(1)
    columns, fields, expected = [], [], {}
    for family, every in zip(families, (7, 3), strict=False):
        valid = np.arange(ROWS) % every != 0
        columns.append(pc_if(valid, _points(ROWS)))
        fields.append(versioned_field(family, ONCE_BLINDED_VERSION))
        rows = np.flatnonzero(valid).astype("<u8")
        order = rows[rng.permutation(len(rows))]
        reply = _points(len(order))
        sub = folder / family
        sub.mkdir()
        order.tofile(sub / ORDER)
        (sub / REPLY).write_bytes(reply.buffers()[1].to_pybytes())
        by_row = dict(zip(order.tolist(), reply.to_pylist(), strict=True))
        expected[family] = (sub, len(order), [by_row.get(i) for i in range(ROWS)])
    columns.append(pa.array(range(ROWS)))
    fields.append(pa.field("n", pa.int64()))
    pq.write_table(pa.Table.from_arrays(columns, schema=pa.schema(fields)), folder / "v1.parquet",
                   row_group_size=300)  # fmt: skip
    return expected


def pc_if(valid: np.ndarray, points: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(valid), points, pa.nulls(len(points), TOKEN_TYPE))


def _specs(expected: dict[str, tuple]) -> list[Replacement]:
    return [
        Replacement(f"token_{f}", versioned_field(f, DOUBLY_BLINDED_VERSION), sub, count)
        for f, (sub, count, _) in expected.items()
    ]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rejoin, "CHUNK_ROWS", 128)  # many batches, none aligned to groups


def test_every_point_lands_on_its_row_and_other_columns_are_copied(tmp_path: Path) -> None:
    expected = _files(tmp_path)
    rejoin_file(tmp_path / "v1.parquet", tmp_path / "out.parquet", _specs(expected))
    table = pq.read_table(tmp_path / "out.parquet")
    for family, (_, _, column) in expected.items():
        assert table.column(f"token_{family}").to_pylist() == column
        assert table.schema.field(f"token_{family}").metadata[b"cleanroom.token_version"] == (
            DOUBLY_BLINDED_VERSION.encode()
        )
    assert table.column("n").to_pylist() == list(range(ROWS))


def _no_output(folder: Path) -> bool:
    return not (folder / "out.parquet").exists() and not list(folder.glob(".out.parquet*"))


def test_a_row_that_is_null_in_the_column_is_a_mismatch(tmp_path: Path) -> None:
    expected = _files(tmp_path, families=("email",))
    sub = expected["email"][0]
    order = np.fromfile(sub / ORDER, "<u8")
    order[5] = 0  # row 0 has no email
    order.tofile(sub / ORDER)
    with pytest.raises(
        RejoinMismatch, match=r"^the batch's rows are not the column's non-null rows$"
    ):
        rejoin_file(tmp_path / "v1.parquet", tmp_path / "out.parquet", _specs(expected))
    assert _no_output(tmp_path)
    assert issubclass(RejoinMismatch, InternalError)


def test_a_short_reply_file_is_a_mismatch(tmp_path: Path) -> None:
    expected = _files(tmp_path, families=("email",))
    reply = expected["email"][0] / REPLY
    reply.write_bytes(reply.read_bytes()[:-32])
    with pytest.raises(RejoinMismatch, match=r"^the reply file is shorter than its batch$"):
        rejoin_file(tmp_path / "v1.parquet", tmp_path / "out.parquet", _specs(expected))
    assert _no_output(tmp_path)


@pytest.mark.parametrize(("change", "message"), [(-1, "fewer"), (1, "more")])
def test_a_batch_of_another_size_is_a_mismatch(tmp_path: Path, change: int, message: str) -> None:
    expected = _files(tmp_path, families=("email",))
    sub, count, _ = expected["email"]
    order = np.fromfile(sub / ORDER, "<u8")
    last = order.max()  # the last row's point missing, or a point of a row past the end
    order = order[order != last] if change < 0 else np.append(order, np.uint64(ROWS + 5))
    order.tofile(sub / ORDER)
    (sub / REPLY).write_bytes(os.urandom(32 * len(order)))
    spec = Replacement("token_email", versioned_field("email", DOUBLY_BLINDED_VERSION), sub,
                       count + change)  # fmt: skip
    with pytest.raises(RejoinMismatch, match=f"^the batch holds {message} points than"):
        rejoin_file(tmp_path / "v1.parquet", tmp_path / "out.parquet", [spec])
    assert _no_output(tmp_path)
