"""Where a relay batch lives: ``DATA_DIR/blinding/<batch id>/`` (temp files renamed in)."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from cleanroom.settings import Settings

RELAY = "relay.bin"  # the owner's once-blinded points, in relay (shuffled) order
ORDER = "order.bin"  # little-endian uint64: the row of each relay position
REPLY = "reply.bin"  # the blinder's twice-blinded points, same positions


def batch_dir(settings: Settings, batch_id: str) -> Path:
    return settings.data_dir / "blinding" / batch_id


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def read_range(path: Path, start: int, length: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read(length)


def write_at(path: Path, start: int, data: bytes) -> None:
    """Write ``data`` at byte ``start`` of ``path`` (created if absent), durably."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, data, start)
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_batch(settings: Settings, batch_id: str) -> None:
    shutil.rmtree(batch_dir(settings, batch_id), ignore_errors=True)
