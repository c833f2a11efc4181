"""Token values read straight from a column chunk's page bytes, when nothing needs decoding.

A token column is ``fixed_size_binary(32)``. Written PLAIN, uncompressed and without a
dictionary (what ``party-agent tokenize`` writes), each data page holds its definition
levels (which rows are null) and then the non-null values back to back, so the scan
can probe those bytes as they lie in the file instead of paying Arrow's per-value
decode (about 0.5 CPU-s per GiB of tokens: a third of the whole scan). The probes
count values and skip nulls, so the non-null values are all they need.

The path is strict, and never refuses anything itself: every page header is parsed
(Thrift compact protocol) and must be a data page (v1 or v2) of PLAIN values, stored
uncompressed; its definition levels (RLE/bit-packed, bit width 1) must decode to
exactly its value count, each 0 or 1, in exactly their bytes; its values must be
exactly as many bytes as the levels have ones times 32; the pages must fill the column
chunk to its last byte and their values add up to the row group's rows. Anything
else (a dictionary page, a compressed page, a field of the wrong Thrift type, a header
field twice, trailing bytes) returns ``None`` and the caller decodes the column as
before, so a file refused before is refused still: the bytes probed here are exactly
the non-null values any Parquet reader reads from those pages.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import BufferedReader

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

TOKEN_BYTES = 32

# parquet.thrift: PageType, Encoding, and the Thrift compact protocol's wire types.
_DATA_PAGE, _DATA_PAGE_V2 = 0, 3
_PLAIN, _RLE = 0, 3
_BOOL_TRUE, _BOOL_FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE = 1, 2, 3, 4, 5, 6, 7
_BINARY, _STRUCT = 8, 12
#: Longer binaries (page statistics) than this are decoded the generic way.
_MAX_BINARY = 1 << 16


class _NotPlain(Exception):
    """The chunk is not in the one layout read here: decode it the generic way."""


class _Reader:
    """A cursor over Thrift compact-protocol bytes, stricter than a Thrift reader: what
    it cannot vouch a reader takes the same way (an over-long varint, a field id out of
    the 16-bit range, a container, a long binary) is refused."""

    def __init__(self, data: bytes | memoryview, pos: int) -> None:
        self.data, self.pos = data, pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise _NotPlain
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self, bits: int = 32) -> int:
        """An unsigned varint of at most ``bits`` bits (16, 32 or 64), in the fewest bytes
        a Thrift reader accepts for it."""
        result = 0
        for shift in range(0, bits + 6, 7):
            value = self.byte()
            result |= (value & 0x7F) << shift
            if not value & 0x80:
                if result >> bits:
                    break
                return result
        raise _NotPlain

    def zigzag(self, bits: int = 32) -> int:
        value = self.varint(bits)
        return (value >> 1) ^ -(value & 1)

    def skip(self, wire: int, depth: int) -> None:
        if depth > 8:
            raise _NotPlain
        if wire in (_BOOL_TRUE, _BOOL_FALSE):
            return
        if wire == _BYTE:
            self.byte()
        elif wire in (_I16, _I32, _I64):
            self.varint({_I16: 16, _I32: 32, _I64: 64}[wire])
        elif wire == _DOUBLE:
            self.pos += 8
        elif wire == _BINARY:
            length = self.varint()  # read before pos is: the varint moves it
            if length > _MAX_BINARY:
                raise _NotPlain
            self.pos += length
        elif wire == _STRUCT:
            self.struct({}, depth + 1)
        else:  # no page header holds a list, set or map
            raise _NotPlain
        if self.pos > len(self.data):
            raise _NotPlain

    def struct(self, wanted: dict[int, int], depth: int = 0) -> dict[int, int | _Reader]:
        """The fields of one struct: ``wanted`` maps a field id to its wire type (i32 read
        as an int, a struct returned as a cursor at its start and skipped); any other field
        is skipped. A wanted field of another wire type, or any field twice, is refused."""
        found: dict[int, int | _Reader] = {}
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return found
            wire, delta = head & 0x0F, head >> 4
            field = last + delta if delta else self.zigzag(16)
            if not 0 < field <= 0x7FFF or field in found:
                raise _NotPlain
            last = field
            if field not in wanted:
                self.skip(wire, depth)
                found[field] = 0
            elif wire != wanted[field]:
                raise _NotPlain
            elif wire == _I32:
                found[field] = self.zigzag()
            else:  # a struct
                found[field] = _Reader(self.data, self.pos)
                self.skip(wire, depth)


_PAGE_HEADER = {1: _I32, 2: _I32, 3: _I32, 5: _STRUCT, 8: _STRUCT}
_DATA_PAGE_HEADER = {1: _I32, 2: _I32, 3: _I32, 4: _I32}
#: is_compressed (7) is not read: a chunk of codec UNCOMPRESSED is never decompressed.
_DATA_PAGE_V2_HEADER = {1: _I32, 2: _I32, 3: _I32, 4: _I32, 5: _I32, 6: _I32}


def _ints(fields: dict[int, int | _Reader], *ids: int) -> list[int]:
    values = [fields.get(i) for i in ids]
    if not all(isinstance(v, int) for v in values):
        raise _NotPlain
    return [v for v in values if isinstance(v, int)]


def _inner(fields: dict[int, int | _Reader], field: int) -> _Reader:
    """The struct in ``field`` (a required one: refused when missing)."""
    inner = fields.get(field)
    if not isinstance(inner, _Reader):
        raise _NotPlain
    return inner


def _present(levels: bytes | memoryview, count: int) -> int:
    """How many of ``count`` definition levels (RLE/bit-packed hybrid, bit width 1, in
    exactly the bytes ``levels``) are 1: the non-null values of the page."""
    reader, seen, ones = _Reader(levels, 0), 0, 0
    while seen < count:
        header = reader.varint()
        if header & 1:  # bit-packed: groups of 8 levels, one byte each
            size = (header >> 1) * 8
            packed = levels[reader.pos : reader.pos + size // 8]
            reader.pos += size // 8
            if not size or len(packed) != size // 8:
                raise _NotPlain
            bits = int.from_bytes(packed, "little")
            if seen + size > count:  # padding after the last level: only in the last run
                if reader.pos != len(levels):
                    raise _NotPlain
                bits &= (1 << (count - seen)) - 1
            ones += bits.bit_count()
        else:  # a run of one level repeated
            size, value = header >> 1, reader.byte()
            if not size or value > 1 or seen + size > count:
                raise _NotPlain
            ones += size * value
        seen += size
    if reader.pos != len(levels):
        raise _NotPlain
    return ones


def _page_values(page: memoryview, pos: int, end: int) -> tuple[int, int, int, int]:
    """Of the data page whose header starts at ``pos``: where its values begin, its
    value count (nulls included), its non-null values and where the next page starts."""
    reader = _Reader(page, pos)
    header = reader.struct(_PAGE_HEADER)
    kind, raw_size, size = _ints(header, 1, 2, 3)
    start = reader.pos
    if raw_size != size or size < 0 or start + size > end:
        raise _NotPlain
    body = page[start : start + size]
    if kind == _DATA_PAGE and 8 not in header:
        fields = _inner(header, 5).struct(_DATA_PAGE_HEADER)  # all four are required fields
        count, encoding, def_encoding, _ = _ints(fields, 1, 2, 3, 4)
        if encoding != _PLAIN or def_encoding != _RLE or len(body) < 4:
            raise _NotPlain
        length = struct.unpack_from("<I", body)[0]
        present = _present(body[4 : 4 + length], count)
        skip = 4 + length
    elif kind == _DATA_PAGE_V2 and 5 not in header:
        fields = _inner(header, 8).struct(_DATA_PAGE_V2_HEADER)
        count, nulls, rows, encoding, def_length, rep_length = _ints(fields, 1, 2, 3, 4, 5, 6)
        if rows != count or encoding != _PLAIN or rep_length or def_length < 0:
            raise _NotPlain
        present = _present(body[:def_length], count)
        if nulls != count - present:
            raise _NotPlain
        skip = def_length
    else:
        raise _NotPlain
    if count < 0 or size - skip != present * TOKEN_BYTES:
        raise _NotPlain
    return start + skip, count, present, start + size


def leaf_index(metadata: pq.FileMetaData, name: str) -> int | None:
    """The Parquet column (leaf) index of top-level column ``name``, if it is a leaf."""
    for index in range(metadata.num_columns):
        if metadata.schema.column(index).path == name:
            return index
    return None


def plain_tokens(
    handle: BufferedReader,
    metadata: pq.FileMetaData,
    group: int,
    column: int,
    buffer: ReadBuffer,
) -> pa.FixedSizeBinaryArray | None:
    """The non-null values of token column ``column`` in row group ``group`` read from
    its page bytes, or ``None`` when the chunk is not PLAIN, uncompressed and
    dictionary-free in every page (then decode it as any other column). The array lives
    in ``buffer``: use it before the buffer's next read."""
    chunk = metadata.row_group(group).column(column)
    described = metadata.schema.column(column)
    if (
        chunk.physical_type != "FIXED_LEN_BYTE_ARRAY"
        or described.length != TOKEN_BYTES
        or described.max_repetition_level != 0
        or described.max_definition_level != 1
        or described.logical_type.type != "NONE"
        or chunk.compression != "UNCOMPRESSED"
        or chunk.has_dictionary_page
        or chunk.dictionary_page_offset
        or chunk.num_values != metadata.row_group(group).num_rows
    ):
        return None
    start, size = chunk.data_page_offset, chunk.total_compressed_size
    if start < 4 or size <= 0:
        return None
    data = buffer.at_least(size)
    view = memoryview(data)[:size]
    handle.seek(start)
    if handle.readinto(view) != size:
        return None
    pages, rows, pos = [], 0, 0
    try:
        while pos < size:
            first, count, present, pos = _page_values(view, pos, size)
            pages.append((first, present * TOKEN_BYTES))
            rows += count
    except _NotPlain:
        return None
    if pos != size or rows != chunk.num_values:
        return None
    flat, end = np.frombuffer(data, dtype=np.uint8), 0
    for first, length in pages:  # the values back to back, in place (numpy allows overlap)
        flat[end : end + length] = flat[first : first + length]
        end += length
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(TOKEN_BYTES), end // TOKEN_BYTES, [None, pa.py_buffer(view[:end])]
    )


class ReadBuffer:
    """Bytes a column chunk is read into, kept from one chunk to the next: a fresh 32 MB
    buffer per row group costs more in page faults than reading the pages saves."""

    def __init__(self) -> None:
        self._data = bytearray()

    def at_least(self, size: int) -> bytearray:
        if len(self._data) < size:
            self._data = bytearray(size)  # a new object: arrays over the old one stay valid
        return self._data


#: Buffers kept between scans (the background scanner, one completion); any further
#: concurrent scan uses one of its own, dropped afterwards, so memory stays flat.
_KEPT = 2
_SPARE: list[ReadBuffer] = []
_SPARE_LOCK = threading.Lock()


@contextmanager
def read_buffer() -> Iterator[ReadBuffer]:
    """A :class:`ReadBuffer` for one row group's scan."""
    with _SPARE_LOCK:
        buffer = _SPARE.pop() if _SPARE else ReadBuffer()
    try:
        yield buffer
    finally:
        with _SPARE_LOCK:
            if len(_SPARE) < _KEPT:
                _SPARE.append(buffer)
