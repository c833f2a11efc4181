"""Token columns probed on their page bytes (``plain_pages``) refuse exactly what decoding
them refuses: same unsalted counts, same rows, same errors, whatever the file's layout."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanroom.errors import DatasetRejected, MalformedParquet, UnsaltedDigest
from cleanroom.uploads import validation
from cleanroom.uploads.plain_pages import ReadBuffer, leaf_index, plain_tokens
from cleanroom.uploads.streaming import StreamingCheck, footer_of
from cleanroom.uploads.validation import ScanPlan, open_for_scan, refuse_unsalted, scan_row_group
from protocols import token_field
from protocols.probes import probe_digests

ROWS = 5000
#: Damaged copies tried per layout.
ATTEMPTS = int(os.environ.get("PLAIN_PAGES_ATTEMPTS", "150"))
#: Every way a party may write a token column (encodings legal for fixed_size_binary).
PLAIN = {"compression": "none", "use_dictionary": ["campaign_id"]}
LAYOUTS: dict[str, dict[str, Any]] = {
    "plain v1": PLAIN,
    "plain v2": {**PLAIN, "data_page_version": "2.0"},
    "plain, small pages": {**PLAIN, "data_page_size": 4096},
    "plain, page checksums": {**PLAIN, "write_page_checksum": True},
    "plain, no statistics": {**PLAIN, "write_statistics": False},
    "zstd": {"compression": "zstd", "use_dictionary": ["campaign_id"]},
    "snappy, dictionary (pyarrow's default)": {},
    "dictionary, uncompressed": {"compression": "none", "use_dictionary": True},
    "byte stream split": {
        "compression": "none",
        "use_dictionary": False,
        "column_encoding": {"token_email": "BYTE_STREAM_SPLIT"},
    },
    "delta byte array": {
        "compression": "none",
        "use_dictionary": False,
        "column_encoding": {"token_email": "DELTA_BYTE_ARRAY"},
    },
}
READ_OFF_PAGES = {"plain v1", "plain v2", "plain, small pages", "plain, page checksums"}
READ_OFF_PAGES |= {"plain, no statistics"}


#: Where the nulls are (rejected identifiers): none, two, one row in seven at random
#: (bit-packed levels), or a whole row group.
NULLS = {
    "no nulls": lambda rng: [],
    "two nulls": lambda rng: [3, ROWS - 2],
    "scattered nulls": lambda rng: [r for r in range(ROWS) if rng.random() < 1 / 7],
    "a null row group": lambda rng: list(range(2000, 4000)),
}


def exposures(digests: int, nulls: str = "no nulls", seed: int = 7) -> pa.Table:
    """Random tokens with ``digests`` probe digests among them (unsalted: refused)."""
    rng = np.random.default_rng(seed)
    tokens: list[bytes | None] = [rng.bytes(32) for _ in range(ROWS)]
    for row in NULLS[nulls](rng):
        tokens[row] = None
    probes = probe_digests().to_pylist()
    valid = [row for row, token in enumerate(tokens) if token is not None]
    for i, row in enumerate(rng.choice(valid, digests, replace=False)):
        tokens[row] = probes[(i * 97) % len(probes)]
    return pa.table(
        {
            "token_email": pa.array(tokens, pa.binary(32)),
            "campaign_id": [f"cmp-{i % 7}" for i in range(ROWS)],
            "exposure_time": pa.array(range(ROWS), pa.int64()),
        },
        schema=pa.schema(
            [token_field("email"), ("campaign_id", pa.string()), ("exposure_time", pa.int64())]
        ),
    )


def scan(path: Path, with_pages: bool) -> tuple[int, Counter[str]] | type[Exception]:
    """What the scan of every row group gives: (rows, unsalted counts) or the error."""
    plan, unsalted = ScanPlan.of(pq.read_schema(path)), Counter[str]()
    try:
        parquet = open_for_scan(path, plan)
        source = path if with_pages else None
        groups = range(parquet.num_row_groups)
        return sum(scan_row_group(parquet, g, plan, unsalted, source) for g in groups), unsalted
    except DatasetRejected as error:
        return type(error)


def read_off_pages(path: Path) -> list[pa.Array | None]:
    metadata = pq.read_metadata(path)
    leaf = leaf_index(metadata, "token_email")
    assert leaf is not None
    found: list[pa.Array | None] = []
    with path.open("rb") as handle:
        for group in range(metadata.num_row_groups):
            tokens = plain_tokens(
                handle, metadata, group, leaf, ReadBuffer()
            )  # valid until the next call
            found.append(None if tokens is None else pa.array(tokens.to_pylist(), tokens.type))
    return found


@pytest.mark.parametrize("nulls", sorted(NULLS))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_gives_the_decoded_verdict(tmp_path: Path, layout: str, nulls: str) -> None:
    path = tmp_path / "tokens.parquet"
    pq.write_table(exposures(digests=11, nulls=nulls), path, row_group_size=2000, **LAYOUTS[layout])
    decoded = scan(path, with_pages=False)
    assert decoded == (ROWS, Counter(token_email=11))
    assert scan(path, with_pages=True) == decoded
    table = pq.ParquetFile(path)
    for group, values in enumerate(read_off_pages(path)):
        decoded_values = table.read_row_group(group).column("token_email").combine_chunks()
        if layout in READ_OFF_PAGES:  # the non-null values, in order
            assert values == decoded_values.drop_null()
        else:  # dictionary pages, compression, other encodings: decoded as before
            assert values is None
    assert (table.read().column("token_email").null_count > 0) == (nulls != "no nulls")
    with pytest.raises(UnsaltedDigest, match="11 value"):
        refuse_unsalted(scan(path, with_pages=True)[1])  # type: ignore[index]


@pytest.mark.parametrize("layout", ["plain v1", "dictionary, uncompressed", "byte stream split"])
def test_the_streaming_check_refuses_probe_digests_in_any_encoding(
    tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload path itself (footer first, row groups as they arrive)."""
    read = []

    def spy(*args: Any) -> pa.Array | None:
        tokens = plain_tokens(*args)
        read.append(tokens is not None)
        return tokens

    monkeypatch.setattr(validation, "plain_tokens", spy)
    path = tmp_path / "tokens.parquet"
    pq.write_table(
        exposures(digests=3, nulls="scattered nulls"), path, row_group_size=2000, **LAYOUTS[layout]
    )
    check = StreamingCheck(path, footer_of(path), path.stat().st_size)
    check.advance(path.stat().st_size)
    assert check.scanned == 3
    assert read == [layout == "plain v1"] * 3
    assert check._unsalted == Counter(token_email=3)


def _token_pages(path: Path) -> tuple[int, int]:
    chunk = pq.read_metadata(path).row_group(0).column(0)
    return chunk.data_page_offset, chunk.total_compressed_size


@pytest.mark.parametrize("nulls", ["no nulls", "scattered nulls"])
@pytest.mark.parametrize("layout", ["plain v1", "plain v2", "plain, small pages"])
def test_damaged_page_headers_get_the_decoded_verdict(
    tmp_path: Path, layout: str, nulls: str
) -> None:
    """Bytes of the token chunk's page headers changed at random: reading the pages gives
    what decoding them gives (the same rows and counts, or the same refusal)."""
    clean = tmp_path / "clean.parquet"
    pq.write_table(exposures(digests=5, nulls=nulls), clean, row_group_size=ROWS, **LAYOUTS[layout])
    data = clean.read_bytes()
    start, size = _token_pages(clean)
    assert read_off_pages(clean)[0] is not None
    headers = _header_spans(clean, start, size)
    rng = np.random.default_rng(17)
    outcomes = Counter[str]()
    for attempt in range(ATTEMPTS):
        damaged = bytearray(data)
        begin, end = headers[rng.integers(len(headers))]
        for _ in range(rng.choice((1, 1, 2, 3))):
            damaged[rng.integers(begin, end)] = rng.integers(256)
        path = tmp_path / f"damaged-{attempt}.parquet"
        path.write_bytes(bytes(damaged))
        decoded = scan(path, with_pages=False)
        assert scan(path, with_pages=True) == decoded, f"attempt {attempt}"
        outcomes["refused" if decoded is MalformedParquet else "read"] += 1
        path.unlink()
    assert outcomes["refused"] > 0  # the damage was real


def _header_spans(path: Path, start: int, size: int) -> list[tuple[int, int]]:
    """(first byte, end) of every page header in the token column chunk, with the first
    bytes after it (the definition levels)."""
    from cleanroom.uploads import plain_pages

    view = memoryview(path.read_bytes())[start : start + size]
    spans, pos = [], 0
    while pos < size:
        reader = plain_pages._Reader(view, pos)
        header = reader.struct(plain_pages._PAGE_HEADER)
        spans.append((start + pos, start + reader.pos + 8))  # and the levels after it
        compressed = header[3]
        assert isinstance(compressed, int)
        pos = reader.pos + compressed
    return spans


def test_a_header_field_written_twice_is_decoded_instead(tmp_path: Path) -> None:
    """Thrift readers keep the last of two copies of a field; the page path takes neither."""
    from cleanroom.uploads import plain_pages

    clean = tmp_path / "clean.parquet"
    pq.write_table(exposures(digests=0), clean, row_group_size=ROWS, **PLAIN)
    start, size = _token_pages(clean)
    page = clean.read_bytes()[start : start + size]
    assert page[:2] == b"\x15\x00"  # field 1 (type) = DATA_PAGE
    _, count, _, _ = plain_pages._page_values(memoryview(page), 0, size)
    assert count > 0
    # field 1 once more (delta 0, the id written out as zigzag 2), value DATA_PAGE again
    forged = page[:2] + b"\x05\x02\x00" + page[2:]
    with pytest.raises(plain_pages._NotPlain):
        plain_pages._page_values(memoryview(forged), 0, len(forged))


def test_read_buffers_are_reused_and_at_most_two_are_kept() -> None:
    """Memory stays flat however many threads have scanned: the buffers of scans that
    ran at the same time are dropped, beyond the two kept for the next scans."""
    from cleanroom.uploads import plain_pages

    plain_pages._SPARE.clear()
    with plain_pages.read_buffer() as first:
        first.at_least(1000)
    with plain_pages.read_buffer() as again:
        assert again is first  # kept, with its bytes
        assert len(again.at_least(10)) == 1000
    with (
        plain_pages.read_buffer(),
        plain_pages.read_buffer(),
        plain_pages.read_buffer(),
        plain_pages.read_buffer(),
    ):
        pass
    assert len(plain_pages._SPARE) == 2
