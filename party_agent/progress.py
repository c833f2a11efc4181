"""Progress reporting for long runs: a rich bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressSink(Protocol):
    """Told after each batch how many input bytes and rows are done."""

    def update(self, bytes_done: int, rows_done: int) -> None: ...


class NoProgress:
    def update(self, bytes_done: int, rows_done: int) -> None:
        return None


class BarProgress:
    """A rich progress bar on stderr, driven by bytes read of the input file.

    Only counts are shown: the bar never displays anything read from the input.
    """

    def __init__(self, total_bytes: int, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("tokenizing"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]:>12,} rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("tokenize", total=max(total_bytes, 1), rows=0)

    def __enter__(self) -> BarProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, bytes_done: int, rows_done: int) -> None:
        self._progress.update(self._task, completed=bytes_done, rows=rows_done)


def wants_bar(quiet: bool, json_output: bool) -> bool:
    """A bar only for an interactive terminal and when the user asked for normal output."""
    return not quiet and not json_output and sys.stderr.isatty()
