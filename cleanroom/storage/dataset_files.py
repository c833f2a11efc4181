"""Which file on disk a dataset version's queries read, and flushing dataset files.

A version's ``path`` names the bytes its party uploaded (``v<N>.parquet``, or after
protocol v2's blinding ``v<N>.blinded.parquet``). The server prepares each version for
queries in the background (:class:`cleanroom.uploads.preparer.Preparer`) and writes the
result beside it as ``v<N>.prepared.parquet``: the same rows, sorted, with the columns
every query would otherwise compute. Queries read the prepared sibling once it exists and
the uploaded file until then; both give bit-identical results (docs/architecture.md,
"Work done once per dataset version"). The sibling appears by an atomic rename, so a
query sees either the whole prepared file or none.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PREPARED_SUFFIX", "fsync_path", "is_prepared", "prepared_sibling", "query_file"]

PREPARED_SUFFIX = ".prepared.parquet"


def prepared_sibling(path: Path) -> Path:
    """Where the prepared form of the version file ``path`` lives: ``v3.parquet`` ->
    ``v3.prepared.parquet``, ``v3.blinded.parquet`` -> ``v3.blinded.prepared.parquet``."""
    return path.with_name(path.name.removesuffix(".parquet") + PREPARED_SUFFIX)


def is_prepared(path: Path) -> bool:
    """Whether ``path`` is a prepared sibling rather than a version's own file."""
    return path.name.endswith(PREPARED_SUFFIX)


def query_file(path: Path) -> Path:
    """The file a query of the version file ``path`` reads: its prepared sibling if that
    has been written, else ``path`` itself."""
    sibling = prepared_sibling(path)
    return sibling if sibling.is_file() else path


def fsync_path(path: Path) -> None:
    """Flush a dataset file, or the folder a dataset file was renamed into, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
