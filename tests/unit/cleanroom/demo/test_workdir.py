"""The demo's working directory: a fresh start that never empties a folder it did not make."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.demo.errors import DemoUsageError
from cleanroom.demo.workdir import FOLDERS, MARKER, prepare


def test_a_new_directory_gets_the_marker_and_every_folder(tmp_path: Path) -> None:
    layout = prepare(tmp_path / "new")
    assert (layout.root / MARKER).is_file()
    assert sorted(p.name for p in layout.root.iterdir() if p.is_dir()) == sorted(FOLDERS)
    assert layout.home("brand") == layout.root / "brand" / "home"
    assert layout.relative(layout.server / "keys") == "server/keys"


def test_a_rerun_removes_only_the_demo_folders(tmp_path: Path) -> None:
    first = prepare(tmp_path)
    (first.server / "cleanroom.db").write_bytes(b"old")
    (first.brand / "home").mkdir()
    (tmp_path / "notes.txt").write_text("mine")
    second = prepare(tmp_path)
    assert not (second.server / "cleanroom.db").exists()
    assert not (second.brand / "home").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_symlinked_demo_folder_is_unlinked_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep")
    work = tmp_path / "work"
    prepare(work)
    (work / "logs").rmdir()
    (work / "logs").symlink_to(outside)
    prepare(work)
    assert (outside / "precious").read_text() == "keep"
    assert (work / "logs").is_dir() and not (work / "logs").is_symlink()


def test_a_foreign_non_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(DemoUsageError, match="not empty and was not made by the demo"):
        prepare(tmp_path)
    assert (tmp_path / "thesis.tex").exists()


def test_a_file_is_not_a_workdir(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(DemoUsageError, match="is not a plain directory"):
        prepare(tmp_path / "f")
