"""The tokenize pipeline: input batches in, a Parquet file of tokens and attributes out.

Per batch: each identifier column is tokenized with
:meth:`protocols.Tokenizer.tokenize_array` (normalization and HMAC live in
:mod:`protocols`, never here); columns of one family (``email`` and ``email_sha256``)
are coalesced in mapping order, the first valid token winning; rows without any valid
token are dropped; attributes are converted (:mod:`party_agent.attributes`); every kept
string attribute not declared ``free_text`` goes through the same tripwire as the
server's (:mod:`protocols.tripwire`), and any hit fails the run with the column, the
pattern and the count; token columns go through the server's unsalted-digest probes
(:mod:`protocols.probes`), which only a bug could trip. The output is written to a
temporary file next to ``out`` and renamed over it only on success, so a refused run
leaves nothing to upload. The temporary name carries the writer's pid; a run first
deletes the temporary files of ``out`` whose writer is gone (killed before it could
clean up).
"""

from __future__ import annotations

import os
import secrets
import time
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from party_agent.attributes import convert_attribute
from party_agent.errors import IdentifierInAttribute, InputError, InternalError
from party_agent.mapping import Mapping
from party_agent.prefetch import prefetch
from party_agent.progress import ProgressSink
from party_agent.reading import InputFile
from party_agent.summary import TokenizeSummary
from protocols import TokenMaker, token_column_name
from protocols.binding import bind_schema
from protocols.probes import unsalted_count
from protocols.tripwire import TripwireHit, scan_rows


@dataclass(frozen=True)
class TokenizeJob:
    mapping: Mapping
    tokenizer: TokenMaker  # v1 Tokenizer or v2 Blinder
    source: InputFile
    out: Path
    batch_size: int

    def output_schema(self) -> pa.Schema:
        """Token columns, then attributes; bound to the collaboration and the match key
        (collaboration id and key check values in the Parquet metadata)."""
        fields = [self.tokenizer.token_field(family) for family in self.mapping.families]
        fields += [pa.field(a.name, a.arrow_type()) for a in self.mapping.attributes]
        return bind_schema(pa.schema(fields), self.tokenizer)


def run_tokenize(job: TokenizeJob, progress: ProgressSink) -> TokenizeSummary:
    """Tokenize ``job.source`` into ``job.out``; on any failure ``out`` is left untouched."""
    summary = TokenizeSummary()
    started = time.perf_counter()
    remove_stale_partials(job.out)
    temp = job.out.with_name(f".{job.out.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    schema = job.output_schema()
    hits: list[TripwireHit] = []
    try:
        with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
            batches = job.source.batches(job.mapping.input_columns, job.batch_size)
            with closing(prefetch(batches)) as ahead:
                for batch in ahead:
                    kept = tokenize_batch(job, batch, schema, summary)
                    hits.extend(scan_attributes(job.mapping, kept))
                    check_keyed(job.mapping, kept)
                    writer.write_batch(kept)
                    progress.update(job.source.bytes_read, summary.rows_read)
        refuse_identifiers(hits)
        os.replace(temp, job.out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    summary.seconds = time.perf_counter() - started
    return summary


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


def tokenize_batch(
    job: TokenizeJob, batch: pa.RecordBatch, schema: pa.Schema, summary: TokenizeSummary
) -> pa.RecordBatch:
    """One output batch (kept rows only) for one input batch; updates ``summary``."""
    first_row = summary.rows_read + 1
    summary.rows_read += batch.num_rows
    tokens = _family_tokens(job, batch, summary)
    keep = _any_valid(list(tokens.values()), batch.num_rows)
    summary.rows_dropped_no_identifier += batch.num_rows - _count(keep)
    attributes = []
    for spec in job.mapping.attributes:
        column = batch.column(spec.column)
        converted, failed = convert_attribute(spec, column, job.mapping.zone_of(spec))
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
        attributes.append(converted)
    arrays = [*tokens.values(), *attributes]
    kept = pa.RecordBatch.from_arrays(arrays, schema=schema).filter(keep)
    summary.rows_written += kept.num_rows
    for family, array in zip(tokens, kept.columns, strict=False):
        summary.tokens_written[family] += len(array) - array.null_count
    return kept


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
        column = job.tokenizer.tokenize_array(spec.type, batch.column(spec.column), spec.options)
        summary.count_rejected(spec.column, column.rejected)
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
