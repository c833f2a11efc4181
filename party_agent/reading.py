"""Reading CSV, Parquet and JSON Lines inputs as a stream of Arrow record batches.

Only the columns the mapping names are read, and every one of them as text (CSV and
JSON Lines) or as stored (Parquet); type conversion happens in
:mod:`party_agent.attributes`, so a column that looks numeric in the first block and
not later never breaks the stream. Memory stays bounded by the batch size whatever the
file size. Messages never quote a value from the file.

CSV text is UTF-8 (a BOM is skipped) unless ``encoding`` names another codec (e.g.
``cp932`` for Shift-JIS from Japanese Excel); text that does not decode fails with a hint
naming the codecs the file's first bytes do decode in. Only empty cells are null: texts
like ``NULL`` or ``N/A`` are values unless the mapping lists them in ``null_values``.
Each batch carries the input position it ends at, for progress.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, cast

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from party_agent.bounded import BoundedStream
from party_agent.errors import ConfigError, InputError
from party_agent.jsonlines import jsonl_batches, jsonl_header

Format = Literal["csv", "parquet", "jsonl"]
DELIMITERS = (",", ";", "\t", "|")
#: Blocks the CSV reader may read ahead of the batch being tokenized.
READ_AHEAD_BLOCKS = 2
#: Codecs suggested, in this order, when a CSV is not UTF-8 (the first that decodes).
HINT_ENCODINGS = ("cp932", "euc_jp", "cp1252")
_GZIP_MAGIC = b"\x1f\x8b"
_COLUMN_COUNTS = re.compile(r"Expected \d+ columns, got \d+")
_SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass
class InputFile:
    """An opened input: its format, header and a running count of bytes read."""

    path: Path
    format: Format
    header: list[str]
    delimiter: str = ","
    compressed: bool = False
    size: int = 0
    encoding: str = "utf8"
    bytes_read: int = field(default=0, init=False)

    def batches(self, columns: Sequence[str], batch_size: int) -> Iterator[pa.RecordBatch]:
        """The named columns in batches of at most ``batch_size`` rows."""
        for batch, _ in self.positioned(columns, batch_size):
            yield batch

    def positioned(
        self, columns: Sequence[str], batch_size: int
    ) -> Iterator[tuple[pa.RecordBatch, int]]:
        """Batches as :meth:`batches`, each with the input bytes done once it is done.

        The position travels with its batch, so a consumer behind a read-ahead thread
        reports what it processed, not what the reader has read.
        """
        if self.format == "parquet":
            source = self._parquet(columns, batch_size)
        elif self.format == "jsonl":
            source = self._jsonl(columns, batch_size)
        else:
            source = self._csv(columns, batch_size)
        before = 0
        for batch, after in source:
            rows = max(batch.num_rows, 1)
            for start in range(0, batch.num_rows, batch_size):
                end = min(start + batch_size, batch.num_rows)
                yield batch.slice(start, batch_size), before + (after - before) * end // rows
            before = after

    def _parquet(
        self, columns: Sequence[str], batch_size: int
    ) -> Iterator[tuple[pa.RecordBatch, int]]:
        parquet = pq.ParquetFile(self.path)
        total, done = max(parquet.metadata.num_rows, 1), 0
        for batch in parquet.iter_batches(batch_size=batch_size, columns=list(columns)):
            done += batch.num_rows
            self.bytes_read = self.size * done // total
            yield batch, self.bytes_read

    def _jsonl(
        self, columns: Sequence[str], batch_size: int
    ) -> Iterator[tuple[pa.RecordBatch, int]]:
        with self.path.open("rb") as raw, _maybe_gzip(raw, self.compressed) as text:
            for batch in jsonl_batches(text, columns, batch_size):
                self.bytes_read = raw.tell()
                yield batch, self.bytes_read

    def _csv(self, columns: Sequence[str], batch_size: int) -> Iterator[tuple[pa.RecordBatch, int]]:
        raw = pa.OSFile(str(self.path))
        native = pa.CompressedInputStream(raw, "gzip") if self.compressed else raw
        block = _block_size(batch_size)
        stream = BoundedStream(native, limit=READ_AHEAD_BLOCKS * block)
        blocks = 0
        try:
            options = _csv_options(self.delimiter, columns, block, self.encoding)
            reader = pacsv.open_csv(stream, **options)
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                stream.consumed(block)  # the streaming reader makes one batch per block
                blocks += 1
                # The reader reads ahead: a batch ends about one block after the last.
                ahead = raw.tell()
                self.bytes_read = ahead if self.compressed else min(ahead, blocks * block)
                yield batch, self.bytes_read
        except UnicodeDecodeError:
            raise InputError(self._undecodable()) from None
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc) or "UTF-8" in str(exc):
                raise InputError(self._undecodable()) from None
            raise InputError(f"cannot parse {self.path} as CSV: {_safe_reason(exc)}") from None
        finally:
            stream.close()

    def _undecodable(self) -> str:
        return f"{self.path} is not valid {self.encoding} text; {encoding_hint(self.path)}"


def encoding_hint(path: Path) -> str:
    """``try --encoding X`` for the first of :data:`HINT_ENCODINGS` the file's start decodes in."""
    with path.open("rb") as raw, _maybe_gzip(raw, _is_gzip(path)) as text:
        sample = text.read(1 << 16)
    fits = [name for name in HINT_ENCODINGS if _decodes(sample, name)]
    if not fits:
        return "pass its encoding with --encoding"
    return "try " + " or ".join(f"--encoding {name}" for name in fits[:2])


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start > len(sample) - 4  # a character cut at the sample's end
    return True


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _csv_options(
    delimiter: str, columns: Sequence[str], block: int, encoding: str = "utf8"
) -> dict[str, Any]:
    """Read only ``columns``, all as text; only empty cells are null; quoted newlines
    allowed."""
    return {
        "read_options": pacsv.ReadOptions(block_size=block, encoding=encoding),
        "parse_options": pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            include_columns=list(columns),
            column_types={name: pa.string() for name in columns},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    }


def _block_size(batch_size: int) -> int:
    """Bytes per CSV block: about ``batch_size`` rows of ~128 bytes, 1-64 MiB."""
    return min(max(batch_size * 128, 1 << 20), 64 << 20)


def _safe_reason(exc: Exception) -> str:
    """Arrow's CSV errors can quote a row: keep the column counts, drop any row text."""
    message = str(exc)
    counts = _COLUMN_COUNTS.search(message)
    if counts:
        return counts.group(0)
    return message.split(":")[0].strip() or "malformed CSV"


def _maybe_gzip(raw: IO[bytes], compressed: bool) -> AbstractContextManager[IO[bytes]]:
    if compressed:
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    return nullcontext(raw)


def detect_format(path: Path) -> Format:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]
    raise ConfigError(f"cannot tell the format of {path.name} from its name; use --format")


def open_input(
    path: Path,
    format: Format | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> InputFile:
    """Open ``path``, detect format, compression and CSV delimiter, and read the header."""
    if not path.is_file():
        raise ConfigError(f"input file {path} does not exist")
    chosen = format or detect_format(path)
    codec = check_encoding(encoding, chosen)
    with path.open("rb") as handle:
        compressed = handle.read(2) == _GZIP_MAGIC
    size = path.stat().st_size
    if chosen == "parquet":
        try:
            header = pq.ParquetFile(path).schema_arrow.names
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{path} is not a Parquet file ({type(exc).__name__})") from None
        return InputFile(path, chosen, list(header), size=size)
    with path.open("rb") as raw, _maybe_gzip(raw, compressed) as text:
        if chosen == "jsonl":
            return InputFile(path, chosen, jsonl_header(text), compressed=compressed, size=size)
        first = _first_line(text, path, codec)
    chosen_delimiter = delimiter or sniff_delimiter(first)
    header = _parse_header(first, chosen_delimiter, path)
    return InputFile(path, "csv", header, chosen_delimiter, compressed, size, codec)


def check_encoding(encoding: str | None, format: Format) -> str:
    """The codec name for ``--encoding`` (``utf8`` by default); CSV only."""
    if encoding is None:
        return "utf8"
    if format != "csv":
        raise ConfigError("--encoding applies to CSV input only (Parquet and JSON are UTF-8)")
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ConfigError(f"unknown --encoding {encoding!r}; use e.g. cp932 or latin-1") from None


def _first_line(text: IO[bytes], path: Path, encoding: str) -> str:
    codec = "utf-8-sig" if encoding in ("utf8", "utf-8") else encoding
    try:
        line = text.readline(1 << 20)
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read the CSV header ({type(exc).__name__})") from None
    try:
        return line.decode(codec).rstrip("\r\n")
    except UnicodeDecodeError:
        shown = "UTF-8" if codec == "utf-8-sig" else encoding
        raise InputError(
            f"cannot decode the CSV header of {path} as {shown}; {encoding_hint(path)}"
        ) from None


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often in the header line (``,`` if none)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_header(line: str, delimiter: str, path: Path) -> list[str]:
    names = next(csv.reader([line], delimiter=delimiter), [])
    if not any(name.strip() for name in names):
        raise InputError(f"{path} has no header row")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"{path} header repeats column names: {', '.join(duplicates)}")
    return names
