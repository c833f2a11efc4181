"""The tokenize pipeline: input batches in, a Parquet file of tokens and attributes out.

Per batch: each identifier column is tokenized with
:meth:`protocols.Tokenizer.tokenize_array` (normalization and HMAC live in
:mod:`protocols`, never here); columns of one family (``email`` and ``email_sha256``)
are coalesced in mapping order, the first valid token winning; rows without any valid
token are dropped; attributes are converted (:mod:`party_agent.attributes`); every kept
string attribute not declared ``free_text`` goes through the same tripwire as the
server's (:mod:`protocols.tripwire`), and any hit fails the run with the column, the
pattern and the count; token columns go through the server's unsalted-digest probes
(:mod:`protocols.probes`), which only a bug could trip. A ``spend`` mapping has no
identifiers: every row is kept and no token column is written. Missing attribute values
follow the column's ``on_null``; a timestamp without an offset needs a zone. At the end
the summary's warnings are computed (:mod:`party_agent.summary`); with ``strict`` any
warning fails the run. Each kept batch is scanned, probed
and written by a second thread (:mod:`party_agent.write_behind`) while the next ones are
tokenized: with the compiled HMAC kernel one batch per core at once
(:mod:`party_agent.in_order`; each batch's counts are added in input order, so the
summary and the first error are those of a one-batch-at-a-time run). The output is written to a
temporary file next to ``out`` and renamed over it only on success, so a refused run
leaves nothing to upload. The temporary name carries the writer's pid; a run first
deletes the temporary files of ``out`` whose writer is gone (killed before it could
clean up).
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from party_agent.attributes import apply_nulls, apply_transforms, convert_attribute, naive_rows
from party_agent.duplicates import DuplicateRows
from party_agent.errors import IdentifierInAttribute, InputError, InternalError, StrictWarnings
from party_agent.in_order import map_in_order
from party_agent.mapping import AttributeSpec, Mapping
from party_agent.phones import tokenize_identifier
from party_agent.prefetch import prefetch
from party_agent.progress import ProgressSink
from party_agent.reading import InputFile
from party_agent.summary import TokenizeSummary
from party_agent.write_behind import WriteBehind
from protocols import Tokenizer, TokenMaker, token_column_name
from protocols.binding import bind_schema, with_kind
from protocols.hmac_batch import kernel_enabled
from protocols.probes import unsalted_count
from protocols.tripwire import TripwireHit, scan_rows
from protocols.workers import cores


@dataclass(frozen=True)
class TokenizeJob:
    mapping: Mapping
    #: ``None`` for a mapping without identifiers (spend): nothing to tokenize; else a
    #: v1 Tokenizer or a v2 Blinder.
    tokenizer: TokenMaker | None
    source: InputFile
    out: Path
    batch_size: int
    strict: bool = False

    def output_schema(self) -> pa.Schema:
        """Token columns, then attributes; bound to the collaboration and the match key
        (collaboration id and key check values in the Parquet metadata), and the kind
        the mapping declares (``upload`` reads it)."""
        fields = []
        if self.tokenizer is not None:
            fields = [self.tokenizer.token_field(family) for family in self.mapping.families]
        fields += [pa.field(a.name, a.arrow_type()) for a in self.mapping.attributes]
        schema = pa.schema(fields)
        if self.tokenizer is not None:
            schema = bind_schema(schema, self.tokenizer)
        return schema if self.mapping.kind is None else with_kind(schema, self.mapping.kind)


#: Seconds of work between two progress updates that :class:`Pace` aims for.
PROGRESS_SECONDS = 0.25
FIRST_CHUNK_ROWS = 4_096


@dataclass
class Pace:
    """Cuts input batches into chunks of about :data:`PROGRESS_SECONDS` of work each, so
    progress moves a few times a second whatever the speed: fast (plain ASCII emails,
    whole batches) or slow (phones that go through ``phonenumbers``, a few thousand rows).
    Each chunk's size follows from the rate at which the chunks before it were finished
    (:meth:`finished`), which also holds when several chunks are tokenized at once."""

    limit: int
    clock: Callable[[], float] = time.perf_counter
    rows: int = field(default=FIRST_CHUNK_ROWS)
    #: Off (whole batches, no per-chunk cost) when no one watches a progress bar.
    enabled: bool = True
    _last: float | None = field(default=None, init=False)

    def chunks(self, batch: pa.RecordBatch) -> Iterator[tuple[pa.RecordBatch, int]]:
        """``(chunk, rows of batch done after it)``."""
        if not self.enabled:
            yield batch, batch.num_rows
            return
        if self._last is None:
            self._last = self.clock()
        start = 0
        while start < batch.num_rows:
            size = min(self.rows, batch.num_rows - start)
            yield batch.slice(start, size), start + size
            start += size

    def finished(self, rows: int) -> None:
        """A chunk of ``rows`` rows is done: the next chunks follow the rate since the last."""
        if not self.enabled:
            return
        now = self.clock()
        elapsed = now - (self._last if self._last is not None else now)
        self._last = now
        wanted = rows * PROGRESS_SECONDS / elapsed if elapsed > 0 else self.limit
        self.rows = int(min(max(wanted, FIRST_CHUNK_ROWS // 4), self.limit))


def run_tokenize(
    job: TokenizeJob,
    progress: ProgressSink,
    clock: Callable[[], float] = time.perf_counter,
    paced: bool = True,
) -> TokenizeSummary:
    """Tokenize ``job.source`` into ``job.out``; on any failure ``out`` is left untouched.
    ``paced``: report progress every :data:`PROGRESS_SECONDS` (a bar is shown)."""
    duplicates = DuplicateRows()
    pace = Pace(job.batch_size, clock, enabled=paced)
    summary = TokenizeSummary(duplicates=duplicates)
    started = time.perf_counter()
    remove_stale_partials(job.out)
    temp = job.out.with_name(f".{job.out.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    schema = job.output_schema()
    hits: list[TripwireHit] = []
    try:
        with pq.ParquetWriter(temp, schema, **parquet_options(job)) as writer:
            write = functools.partial(write_kept, job.mapping, writer, duplicates, hits)
            batches = job.source.positioned(job.mapping.input_columns, job.batch_size)
            with WriteBehind(write, depth=1) as sink, closing(prefetch(batches, depth=1)) as ahead:
                work = _numbered(pace, ahead)
                step = functools.partial(_tokenize_numbered, job, schema)
                try:
                    for kept, counts, position in map_in_order(step, work, tokenize_threads(job)):
                        summary.add(counts)
                        sink.put(kept)
                        progress.update(position, summary.rows_read)
                        pace.finished(counts.rows_read)
                except NaiveTimestamps as naive:
                    raise naive.after(summary) from None
        refuse_identifiers(hits)
        summary.warnings = summary.find_warnings(job.mapping.duplicate_share)
        if job.strict and summary.warnings:
            raise StrictWarnings(f"--strict: {'; '.join(summary.warnings)}; nothing was written")
        os.replace(temp, job.out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def parquet_options(job: TokenizeJob) -> dict[str, object]:
    """How the token file is written: :func:`token_file_options`, with dictionary pages
    for the attributes other than timestamps."""
    names = job.output_schema().names
    dictionary = [a.name for a in job.mapping.attributes if a.type != "timestamp"]
    return token_file_options(names, dictionary)


def token_file_options(names: list[str], dictionary: list[str]) -> dict[str, object]:
    """zstd for attributes, dictionary pages for the columns in ``dictionary``; token
    columns PLAIN and uncompressed. Tokens are distinct random bytes: neither a
    dictionary nor zstd makes them smaller (zstd stores them raw: 23% of the writing
    time for the same file size), and stored as they are the server probes them on the
    page bytes instead of decoding each value (``cleanroom.uploads.plain_pages``). Event
    times are (nearly) all distinct too, so a dictionary of them would be built only to
    be dropped (28% of the writing time, a file 3% larger)."""
    compression = {name: "none" if name.startswith("token_") else "zstd" for name in names}
    return {"compression": compression, "use_dictionary": dictionary or False}


def write_kept(
    mapping: Mapping,
    writer: pq.ParquetWriter,
    duplicates: DuplicateRows,
    hits: list[TripwireHit],
    kept: pa.RecordBatch,
) -> None:
    """Everything done to one output batch, off the tokenizing thread: tripwire scan,
    probes for unsalted digests, writing, duplicate counting."""
    hits.extend(scan_attributes(mapping, kept))
    check_keyed(mapping, kept)
    writer.write_batch(kept)
    duplicates.add(kept)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_partials(out: Path) -> int:
    """Delete ``.<out>.<pid>.<hex>.partial`` files whose pid is gone (or unnamed: older
    agents wrote no pid); returns how many. A live run's file is left alone."""
    removed = 0
    for partial in out.parent.glob(f".{out.name}.*.partial"):
        parts = partial.name.removeprefix(f".{out.name}.").removesuffix(".partial").split(".")
        has_pid = len(parts) == 2 and parts[0].isdigit()
        if not (has_pid and _alive(int(parts[0]))):
            partial.unlink(missing_ok=True)
            removed += 1
    return removed


def tokenize_threads(job: TokenizeJob) -> int:
    """Batches tokenized at once: one per core where the work releases the GIL (the
    compiled HMAC kernel, or no identifiers at all), else one (hashlib's workers are
    processes, and the v2 blinder shares its own work among threads)."""
    if job.tokenizer is None or (isinstance(job.tokenizer, Tokenizer) and kernel_enabled()):
        return cores()
    return 1


def _numbered(
    pace: Pace, batches: Iterator[tuple[pa.RecordBatch, int]]
) -> Iterator[tuple[pa.RecordBatch, int, int]]:
    """``(chunk, its first data row, input position once it is done)`` for each chunk."""
    before, first_row = 0, 1
    for batch, after in batches:
        for chunk, done in pace.chunks(batch):
            position = before + (after - before) * done // max(batch.num_rows, 1)
            yield chunk, first_row, position
            first_row += chunk.num_rows
        before = after


def _tokenize_numbered(
    job: TokenizeJob, schema: pa.Schema, item: tuple[pa.RecordBatch, int, int]
) -> tuple[pa.RecordBatch, TokenizeSummary, int]:
    chunk, first_row, position = item
    kept, counts = tokenize_rows(job, chunk, schema, first_row)
    return kept, counts, position


def tokenize_batch(
    job: TokenizeJob, batch: pa.RecordBatch, schema: pa.Schema, summary: TokenizeSummary
) -> pa.RecordBatch:
    """One output batch (kept rows only) for one input batch; updates ``summary``."""
    try:
        kept, counts = tokenize_rows(job, batch, schema, summary.rows_read + 1)
    except NaiveTimestamps as naive:
        raise naive.after(summary) from None
    summary.add(counts)
    return kept


def tokenize_rows(
    job: TokenizeJob, batch: pa.RecordBatch, schema: pa.Schema, first_row: int
) -> tuple[pa.RecordBatch, TokenizeSummary]:
    """One output batch (kept rows only) for the input rows ``first_row`` onwards, and
    this batch's counts (:meth:`TokenizeSummary.add` them in input order). Touches no
    shared state: batches may be tokenized at once on several threads."""
    summary = TokenizeSummary()
    summary.rows_read += batch.num_rows
    tokens = _family_tokens(job, batch, summary)
    if job.mapping.identifiers:
        keep = _any_valid(list(tokens.values()), batch.num_rows)
    else:
        keep = pa.array(np.ones(batch.num_rows, dtype=bool))
    summary.rows_dropped_no_identifier += batch.num_rows - _count(keep)
    attributes = []
    for spec in job.mapping.attributes:
        converted, keep = _attribute(job, spec, batch, keep, first_row, summary)
        attributes.append(converted)
    arrays = [*tokens.values(), *attributes]
    kept = pa.RecordBatch.from_arrays(arrays, schema=schema).filter(keep)
    summary.rows_written += kept.num_rows
    for family, array in zip(tokens, kept.columns, strict=False):
        summary.tokens_written[family] += len(array) - array.null_count
    return kept, summary


def _attribute(
    job: TokenizeJob,
    spec: AttributeSpec,
    batch: pa.RecordBatch,
    keep: pa.BooleanArray,
    first_row: int,
    summary: TokenizeSummary,
) -> tuple[pa.Array, pa.BooleanArray]:
    """One converted attribute column, and ``keep`` less the rows it drops."""
    column = apply_transforms(spec, apply_nulls(spec, batch.column(spec.column)))
    zone = job.mapping.zone_of(spec)
    if spec.type == "timestamp" and zone is None:
        _refuse_naive(spec, column, keep, first_row, summary)
    converted, failed = convert_attribute(spec, column, zone or "UTC")
    failed = pc.and_(failed, keep)
    if _count(failed):
        if job.mapping.invalid_attributes == "error":
            row = first_row + _first_true(failed)
            raise InputError(
                f"column {spec.column!r}, data row {row:,}: value is not a valid "
                f"{spec.type} (set 'invalid_attributes: drop' in the mapping to drop such rows)"
            )
        summary.rows_dropped_invalid_attribute[spec.column] += _count(failed)
        keep = pc.and_not(keep, failed)
    if spec.on_null == "keep":
        return converted, keep
    missing = pc.and_(pc.is_null(converted), keep)
    if not _count(missing):
        return converted, keep
    if spec.on_null == "error":
        row = first_row + _first_true(missing)
        raise InputError(
            f"column {spec.column!r}, data row {row:,}: value is missing (the mapping says "
            "'on_null: error'; use drop or zero, or list the text in null_values)"
        )
    if spec.on_null == "zero":
        return pc.fill_null(converted, pa.scalar(0).cast(converted.type)), keep
    summary.rows_dropped_null[spec.column] += _count(missing)
    return converted, pc.and_not(keep, missing)


def _refuse_naive(
    spec: AttributeSpec,
    column: pa.Array,
    keep: pa.BooleanArray,
    first_row: int,
    summary: TokenizeSummary,
) -> None:
    """A timestamp without an offset and no zone declared: stop with the row number."""
    naive = pc.and_(naive_rows(spec, column), keep)
    if not _count(naive):
        if _count(pc.and_(pc.is_valid(column), keep)):
            summary.offset_columns.add(spec.column)
        return
    row = first_row + _first_true(naive)
    with_offset = pc.and_(pc.and_not(pc.is_valid(column), naive), keep)
    mixed = spec.column in summary.offset_columns or _count(with_offset) > 0
    raise NaiveTimestamps(spec.column, row, mixed)


class NaiveTimestamps(InputError):
    """A timestamp without an offset and no zone; ``mixed``: the column also has offsets
    (in this batch: :meth:`after` adds what the batches before it had)."""

    def __init__(self, column: str, row: int, mixed: bool) -> None:
        self.column, self.row, self.mixed = column, row, mixed
        what = "mixes timestamps with and without a UTC offset: " if mixed else ""
        super().__init__(
            f"column {column!r} {what}data row {row:,} has no UTC offset and no time zone "
            "is declared; set 'timezone:' in the mapping (e.g. Asia/Tokyo) or pass --timezone"
        )

    def after(self, before: TokenizeSummary) -> NaiveTimestamps:
        """This error as seen after the batches counted in ``before``."""
        mixed = self.mixed or self.column in before.offset_columns
        return NaiveTimestamps(self.column, self.row, mixed)


def scan_attributes(mapping: Mapping, kept: pa.RecordBatch) -> list[TripwireHit]:
    """Tripwire hits in the kept string attributes of one output batch (counted in rows)."""
    hits = []
    for spec in mapping.attributes:
        if spec.scanned:
            hits += scan_rows(spec.column, kept.column(spec.name))
    return hits


def check_keyed(mapping: Mapping, kept: pa.RecordBatch) -> None:
    """The agent never writes an unsalted digest: the server's probes, run here too."""
    for family in mapping.families:
        if unsalted_count(kept.column(token_column_name(family))):
            raise InternalError(
                f"token column for {family!r} holds unsalted digests; this is a bug in the "
                "agent, nothing was written"
            )


def refuse_identifiers(hits: list[TripwireHit]) -> None:
    """Fail with the first column's total count per pattern; the value is never named."""
    if not hits:
        return
    first = hits[0]
    count = sum(h.count for h in hits if (h.column, h.pattern) == (first.column, first.pattern))
    total = replace(first, count=count)
    raise IdentifierInAttribute(
        f"{total.summary('row(s)')}; nothing was written (drop the column from the mapping, "
        "or declare it 'free_text: true' if it really is free text)"
    )


def _family_tokens(
    job: TokenizeJob, batch: pa.RecordBatch, summary: TokenizeSummary
) -> dict[str, pa.Array]:
    """One token array per family, in output order; same-family columns coalesced."""
    tokens: dict[str, pa.Array] = {}
    for spec in job.mapping.identifiers:
        if job.tokenizer is None:
            raise InternalError("a mapping with identifiers needs a tokenizer; this is a bug")
        column = tokenize_identifier(job.tokenizer, spec, batch)
        summary.count_rejected(spec.column, column.rejected, spec.type)
        family = spec.type.family
        tokens[family] = (
            pc.coalesce(tokens[family], column.tokens) if family in tokens else column.tokens
        )
    return {family: tokens[family] for family in job.mapping.families}


def _any_valid(arrays: list[pa.Array], length: int) -> pa.BooleanArray:
    keep = pa.array([False] * length, pa.bool_()) if not arrays else pc.is_valid(arrays[0])
    for array in arrays[1:]:
        keep = pc.or_(keep, pc.is_valid(array))
    return keep


def _count(mask: pa.BooleanArray) -> int:
    return int(pc.sum(mask).as_py() or 0)


def _first_true(mask: pa.BooleanArray) -> int:
    return int(pc.index(mask, True).as_py())
