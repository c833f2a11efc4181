"""cleanroom.blinding.files: a batch's folder, whole-file writes renamed in, and
positioned writes that resume a reply."""

from __future__ import annotations

from pathlib import Path

from cleanroom.blinding.files import (
    batch_dir,
    read_range,
    remove_batch,
    write_at,
    write_atomically,
)
from cleanroom.settings import Settings


def test_a_batch_lives_in_its_own_folder_of_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert batch_dir(settings, "bb_1") == tmp_path / "blinding" / "bb_1"


def test_a_whole_file_is_written_then_renamed_in(tmp_path: Path) -> None:
    path = tmp_path / "blinding" / "bb_1" / "relay.bin"
    write_atomically(path, b"a" * 64)
    write_atomically(path, b"b" * 32)
    assert path.read_bytes() == b"b" * 32
    assert [p.name for p in path.parent.iterdir()] == ["relay.bin"]  # no temp file left
    assert read_range(path, 8, 16) == b"b" * 16
    assert read_range(path, 30, 16) == b"bb"  # past the end: what there is


def test_positioned_writes_fill_a_reply_in_any_number_of_chunks(tmp_path: Path) -> None:
    path = tmp_path / "reply.bin"
    write_at(path, 0, b"x" * 32)
    write_at(path, 32, b"y" * 32)
    write_at(path, 32, b"z" * 32)  # a resumed chunk overwrites, never appends twice
    assert path.read_bytes() == b"x" * 32 + b"z" * 32
    assert path.stat().st_mode & 0o777 == 0o600


def test_removing_a_batch_removes_its_folder_and_tolerates_a_missing_one(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    write_atomically(batch_dir(settings, "bb_1") / "order.bin", b"\x00" * 8)
    remove_batch(settings, "bb_1")
    remove_batch(settings, "bb_1")
    assert not batch_dir(settings, "bb_1").exists()
