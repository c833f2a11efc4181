"""Parquet files whose footer a party rewrote byte by byte, for the tests of what the
server accepts: a Thrift compact-protocol walker just able to find a field of a
column chunk's ColumnMetaData, and the files crafted with it."""

from __future__ import annotations

import io
from collections.abc import Callable

import pyarrow as pa
import pyarrow.parquet as pq

# Thrift compact wire types: list, set, map, struct; ColumnMetaData's field ids.
_LIST, _SET, _MAP, _STRUCT = 9, 10, 11, 12
_I64 = 6
DATA_PAGE_OFFSET, DICTIONARY_PAGE_OFFSET = 9, 11

#: (field id, wire type, where the field header is, where its value starts) -> where
#: the walk goes on, or None to skip the value.
Visit = Callable[[int, int, int, int], int | None]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _zigzag_varint(value: int) -> bytes:
    encoded, zig = bytearray(), (value << 1) ^ (value >> 63)
    while zig >= 0x80:
        encoded.append((zig & 0x7F) | 0x80)
        zig >>= 7
    return bytes([*encoded, zig])


def _list_head(data: bytes, pos: int) -> tuple[int, int, int]:
    head = data[pos]
    count, pos = head >> 4, pos + 1
    if count == 15:
        count, pos = _varint(data, pos)
    return count, head & 0x0F, pos


def _skip(data: bytes, pos: int, wire: int) -> int:
    if wire in (1, 2):  # booleans live in the field header
        return pos
    if wire == 3:
        return pos + 1
    if wire in (4, 5, 6):
        return _varint(data, pos)[1]
    if wire == 7:
        return pos + 8
    if wire == 8:
        length, pos = _varint(data, pos)
        return pos + length
    if wire in (_LIST, _SET):
        count, inner, pos = _list_head(data, pos)
        for _ in range(count):
            pos = _skip(data, pos, inner)
        return pos
    if wire == _MAP:
        count, pos = _varint(data, pos)
        if count:
            types, pos = data[pos], pos + 1
            for _ in range(count):
                pos = _skip(data, _skip(data, pos, types >> 4), types & 0x0F)
        return pos
    if wire == _STRUCT:
        return _fields(data, pos, lambda *_: None)
    raise AssertionError(f"wire type {wire}")


def _fields(data: bytes, pos: int, visit: Visit) -> int:
    last = 0
    while True:
        head = data[pos]
        if head == 0:
            return pos + 1
        wire, delta, at = head & 0x0F, head >> 4, pos
        pos += 1
        if delta:
            field = last + delta
        else:
            raw, pos = _varint(data, pos)
            field = (raw >> 1) ^ -(raw & 1)
        last = field
        went = visit(field, wire, at, pos)
        pos = went if went is not None else _skip(data, pos, wire)


Fields = dict[int, tuple[int, int]]


def _chunks(footer: bytes) -> list[tuple[Fields, Fields]]:
    """For every column chunk of the FileMetaData ``footer`` (Thrift bytes only), in
    order: the fields of its ColumnChunk and of its ColumnMetaData, each id -> (where
    the field header is, where its value starts)."""
    found: list[tuple[Fields, Fields]] = []

    def in_list(pos: int, visit: Callable[[], Visit]) -> int:
        count, _, pos = _list_head(footer, pos)
        for _ in range(count):
            pos = _fields(footer, pos, visit())
        return pos

    def chunk() -> Visit:
        outer: Fields = {}
        inner: Fields = {}
        found.append((outer, inner))

        def note(into: Fields) -> Visit:
            def visit(field: int, wire: int, at: int, pos: int) -> None:
                into[field] = (at, pos)

            return visit

        def visit(field: int, wire: int, at: int, pos: int) -> int | None:
            outer[field] = (at, pos)
            return _fields(footer, pos, note(inner)) if field == 3 else None  # meta_data

        return visit

    def group() -> Visit:
        def visit(field: int, wire: int, at: int, pos: int) -> int | None:
            return in_list(pos, chunk) if field == 1 else None  # RowGroup.columns

        return visit

    def file(field: int, wire: int, at: int, pos: int) -> int | None:
        return in_list(pos, group) if field == 4 else None  # FileMetaData.row_groups

    _fields(footer, 0, file)
    return found


def column_metadata_fields(footer: bytes) -> list[Fields]:
    """For every column chunk of ``footer``, in order: its ColumnMetaData's fields."""
    return [inner for _, inner in _chunks(footer)]


def _set_varint(footer: bytes, pos: int, value: int) -> bytes:
    return footer[:pos] + _zigzag_varint(value) + footer[_varint(footer, pos)[1] :]


def parts(data: bytes) -> tuple[bytes, bytes]:
    """A Parquet file's bytes before its footer, and its footer's Thrift bytes."""
    length = int.from_bytes(data[-8:-4], "little")
    return data[: -(length + 8)], data[-(length + 8) : -8]


def with_footer(region: bytes, footer: bytes) -> bytes:
    return region + footer + len(footer).to_bytes(4, "little") + b"PAR1"


def set_offset(footer: bytes, chunk: int, field: int, offset: int) -> bytes:
    """``footer`` with the i64 ``field`` of column chunk ``chunk``'s ColumnMetaData set to
    ``offset``; a dictionary_page_offset (11) the chunk has not is inserted after
    data_page_offset (9), the next field header's id delta fixed to match."""
    fields = column_metadata_fields(footer)[chunk]
    if field in fields:
        return _set_varint(footer, fields[field][1], offset)
    assert field == DICTIONARY_PAGE_OFFSET and 10 not in fields  # field 11 follows 9
    after = _varint(footer, fields[DATA_PAGE_OFFSET][1])[1]
    inserted = bytes([(2 << 4) | _I64]) + _zigzag_varint(offset)
    following, rest = footer[after], footer[after + 1 :]
    if following:  # the next field's id, by its delta from 9: now from 11
        delta = following >> 4
        assert delta > 2, "a short-form delta after field 9 jumps over 11"
        following = ((delta - 2) << 4) | (following & 0x0F)
    return footer[:after] + inserted + bytes([following]) + rest


def with_offset(data: bytes, chunk: int, field: int, offset: int) -> bytes:
    """The Parquet file ``data`` with one offset of its footer rewritten (:func:`set_offset`)."""
    region, footer = parts(data)
    return with_footer(region, set_offset(footer, chunk, field, offset))


def token_file(table: pa.Table) -> bytes:
    """``table`` written the way the party agent writes token files: token columns PLAIN
    and uncompressed, without dictionary, in one row group."""
    sink = io.BytesIO()
    compression = {n: "none" if n.startswith("token_") else "zstd" for n in table.column_names}
    strings = [n for n in table.column_names if pa.types.is_string(table.schema.field(n).type)]
    pq.write_table(table, sink, compression=compression, use_dictionary=strings or False)
    return sink.getvalue()


def hide_pages(clean: bytes, hidden: bytes, column: int = 0) -> bytes:
    """``clean`` (one row group) with the pages of column ``column`` of ``hidden`` (a file
    of the same schema and rows) put between its last row group and its footer, and
    that column's ``dictionary_page_offset`` set to them: past its own data pages."""
    region, footer = parts(clean)
    chunk = pq.read_metadata(io.BytesIO(hidden)).row_group(0).column(column)
    start = chunk.data_page_offset
    pages = hidden[start : start + chunk.total_compressed_size]
    moved = set_offset(footer, column, DICTIONARY_PAGE_OFFSET, len(region))
    return with_footer(region + pages, moved)


# ColumnChunk: offset_index_offset (i64), offset_index_length (i32).
OFFSET_INDEX_OFFSET, OFFSET_INDEX_LENGTH = 4, 5


def _offset_index(at: int, size: int) -> bytes:
    """An OffsetIndex of one page of ``size`` bytes at ``at``: {1: list<PageLocation
    {1: i64 offset, 2: i32 compressed size, 3: i64 first row index}>}."""
    offset, length, first = _zigzag_varint(at), _zigzag_varint(size), _zigzag_varint(0)
    return b"\x19\x1c\x16" + offset + b"\x15" + length + b"\x16" + first + b"\x00\x00"


def hide_offset_index(clean: bytes, hidden: bytes) -> bytes:
    """``clean`` (one row group, one page per chunk, written with a page index) with the
    pages of column 0 of ``hidden`` put before its footer, and column 0's offset index
    replaced by one whose page location points at them: the chunk's own offsets are
    left as they are."""
    region, footer = parts(clean)
    own = pq.read_metadata(io.BytesIO(clean)).row_group(0).column(0)
    outer, _ = _chunks(footer)[0]
    at = _varint(footer, outer[OFFSET_INDEX_OFFSET][1])[0] >> 1
    length = _varint(footer, outer[OFFSET_INDEX_LENGTH][1])[0] >> 1
    # the encoding is the writer's: the chunk's own index, rebuilt, is the bytes it wrote
    assert clean[at : at + length] == _offset_index(own.data_page_offset, own.total_compressed_size)
    chunk = pq.read_metadata(io.BytesIO(hidden)).row_group(0).column(0)
    pages = hidden[chunk.data_page_offset : chunk.data_page_offset + chunk.total_compressed_size]
    index = _offset_index(len(region), len(pages))
    # the length first: it comes after the offset, whose new varint may be longer
    footer = _set_varint(footer, outer[OFFSET_INDEX_LENGTH][1], len(index))
    footer = _set_varint(footer, outer[OFFSET_INDEX_OFFSET][1], len(region) + len(pages))
    return with_footer(region + pages + index, footer)


def with_file_path(data: bytes, path: bytes) -> bytes:
    """The Parquet file ``data`` whose first column chunk names ``path`` as the file its
    pages are in (ColumnChunk.file_path, field 1), inserted before file_offset (2)."""
    region, footer = parts(data)
    at = _chunks(footer)[0][0][2][0]
    head = footer[at]
    assert head >> 4 == 2  # file_offset's header, its id by a delta of 2 from 0
    inserted = bytes([0x18, len(path)]) + path + bytes([(1 << 4) | (head & 0x0F)])
    return with_footer(region, footer[:at] + inserted + footer[at + 1 :])
