"""Chunk bodies streamed into the temp file (:func:`sessions.write_chunk`): the bytes land
in order while writes overlap the receive, and every refusal leaves the file and the
running digest as they were before the chunk."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from cleanroom.errors import ChunkChecksumMismatch, PayloadTooLarge
from cleanroom.uploads import sessions
from cleanroom.uploads.sessions import ChunkSums, RunningDigest, write_chunk

STORED = b"stored:"
#: 40 pieces of 7 bytes over a 16-byte write buffer: about 20 overlapped writes.
PIECES = [bytes([65 + i % 26]) * 7 for i in range(40)]
BODY = b"".join(PIECES)


@pytest.fixture(autouse=True)
def small_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sessions, "WRITE_BUFFER", 16)


async def _body(pieces: Iterable[bytes], fail_after: int | None = None) -> AsyncIterator[bytes]:
    for index, piece in enumerate(pieces):
        if index == fail_after:
            raise ConnectionResetError("the client went away")
        await asyncio.sleep(0)
        yield piece


def _started(tmp_path: Path) -> tuple[Path, RunningDigest]:
    path = tmp_path / "upl.part"
    path.write_bytes(STORED)
    return path, RunningDigest.of_prefix(path, len(STORED))


def _write(
    path: Path, body: AsyncIterator[bytes], limit: int, sums: ChunkSums, before: RunningDigest
) -> RunningDigest:
    return asyncio.run(write_chunk(path, body, limit, sums, before))


@pytest.mark.parametrize("header", ["received", "chunk"])
def test_a_chunk_of_many_buffers_lands_whole_with_its_digest(tmp_path: Path, header: str) -> None:
    path, before = _started(tmp_path)
    sums = (
        ChunkSums(received=hashlib.sha256(STORED + BODY).hexdigest())
        if header == "received"
        else ChunkSums(chunk=hashlib.sha256(BODY).hexdigest())
    )
    after = _write(path, _body(PIECES), len(BODY), sums, before)
    assert path.read_bytes() == STORED + BODY
    assert (after.offset, after.hexdigest()) == (
        len(STORED + BODY),
        hashlib.sha256(STORED + BODY).hexdigest(),
    )


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("received mismatch", ChunkChecksumMismatch),
        ("chunk mismatch", ChunkChecksumMismatch),
        ("longer than the limit", PayloadTooLarge),
        ("client disconnects", ConnectionResetError),
    ],
)
def test_a_refused_chunk_leaves_the_file_and_the_digest_as_before(
    tmp_path: Path, case: str, error: type[Exception]
) -> None:
    path, before = _started(tmp_path)
    good = ChunkSums(received=hashlib.sha256(STORED + BODY).hexdigest())
    sums, limit, body = good, len(BODY), _body(PIECES)
    if case == "received mismatch":
        sums = ChunkSums(received=hashlib.sha256(STORED + BODY[:-1] + b"?").hexdigest())
    elif case == "chunk mismatch":
        sums = ChunkSums(chunk=hashlib.sha256(BODY[1:]).hexdigest())
    elif case == "longer than the limit":
        limit = len(BODY) - 1
    else:
        body = _body(PIECES, fail_after=30)
    with pytest.raises(error):
        _write(path, body, limit, sums, before)
    assert path.read_bytes() == STORED
    assert (before.offset, before.hexdigest()) == (
        len(STORED),
        hashlib.sha256(STORED).hexdigest(),
    )
