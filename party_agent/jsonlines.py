"""JSON Lines input, chunked by hand.

``pyarrow.json.open_json`` can stream, but it infers one type per field from the first
block and fails when a later record disagrees (``"amount": 5`` then ``"amount": "5.00"``),
and an explicit string schema refuses JSON numbers. So lines are read in chunks of
``batch_size`` and decoded with :mod:`json`; every mapped field becomes text (numbers as
written, booleans as ``true``/``false``) and is converted like a CSV column later.
Slower than the CSV path, but bounded in memory and never tripped by mixed types.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import IO, Any

import pyarrow as pa

from party_agent.errors import InputError

#: The header of a JSON Lines file is the union of the keys of its first records.
HEADER_RECORDS = 1000


def jsonl_header(lines: IO[bytes]) -> list[str]:
    """Keys of the first :data:`HEADER_RECORDS` records, in order of appearance."""
    keys: dict[str, None] = {}
    records = _records(lines, start=1)
    for _, record in islice(records, HEADER_RECORDS):
        keys.update(dict.fromkeys(record))
    if not keys:
        raise InputError("the JSON Lines input has no records")
    return list(keys)


def jsonl_batches(
    lines: IO[bytes], columns: Sequence[str], batch_size: int
) -> Iterator[pa.RecordBatch]:
    """Record batches of the named fields, all as (nullable) strings."""
    records = _records(lines, start=1)
    while True:
        chunk = list(islice(records, batch_size))
        if not chunk:
            return
        arrays = [pa.array([_text(r.get(c), c, n) for n, r in chunk], pa.string()) for c in columns]
        yield pa.RecordBatch.from_arrays(arrays, names=list(columns))


def _records(lines: IO[bytes], start: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Non-blank lines decoded as JSON objects, with their 1-based line numbers."""
    for number, line in enumerate(lines, start=start):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            raise InputError(f"JSON Lines input line {number} is not valid JSON") from None
        if not isinstance(record, dict):
            raise InputError(f"JSON Lines input line {number} is not a JSON object")
        yield number, record


def _text(value: Any, column: str, line: int) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    raise InputError(f"JSON Lines input line {line}: field {column!r} holds a nested value")
