"""The commands shown in the docs' code blocks, read from the Markdown (for
``test_docs_commands.py``, which runs them against a real server).

Which blocks run:

- fenced ``sh``, ``bash``, ``shell`` and ``console`` blocks are commands: in ``console``
  blocks the lines starting with ``$ ``, in the others every line; a trailing ``\\``
  continues a command on the next line, and ``#`` starts a comment (the output the page
  shows). A command followed by a comment line ``# error: ...`` is one the page shows
  failing: it must exit non-zero with an ``error:`` line.
- a block right after ``<!-- docs-test: illustrative -->`` is not run (a sketch, a
  placeholder syntax such as ``[--seed N]``, another machine's setup);
- a block right after ``<!-- docs-test: file PATH -->`` is written to ``PATH`` (a
  mapping the page shows, then uses);
- a ``python`` block right after ``<!-- docs-test: python -->`` is run (``exec``);
- every other block (output, YAML, config) is text.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

SHELL = frozenset({"sh", "bash", "shell", "console"})
MARKER = re.compile(r"<!--\s*docs-test:\s*(illustrative|python|file\s+(\S+))\s*-->")
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")


@dataclass(frozen=True)
class Command:
    """One command of a page: its words, and whether the page shows it failing."""

    words: tuple[str, ...]
    fails: bool
    where: str  # page:line, for messages

    @property
    def text(self) -> str:
        return shlex.join(self.words)


@dataclass(frozen=True)
class Block:
    """A fenced block: its language, text, what its marker asks, and where it starts."""

    lang: str
    text: str
    marker: str | None  # "illustrative", "python", "file" or None
    path: str | None  # for "file"
    where: str

    @property
    def runs(self) -> bool:
        return self.lang in SHELL and self.marker != "illustrative"


def blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, in order."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    marker: re.Match[str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence is None:
            if line.strip():
                marker = MARKER.search(line)
            index += 1
            continue
        indent, start = fence.group(1), index
        body = []
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index].removeprefix(indent))
            index += 1
        kind = None if marker is None else marker.group(1).split()[0]
        path = None if marker is None else marker.group(2)
        where = f"{page.name}:{start + 1}"
        found.append(Block(fence.group(2), "\n".join(body) + "\n", kind, path, where))
        marker = None
        index += 1
    return found


def commands(block: Block) -> list[Command]:
    """The commands of a shell block, continuation lines joined, comments dropped."""
    lines = block.text.splitlines()
    if block.lang == "console":
        lines = [line[2:] if line.startswith("$ ") else f"# {line}" for line in lines]
    found: list[Command] = []
    pending = ""
    for number, line in enumerate(lines):
        if pending:
            line = pending + " " + line.strip()
            pending = ""
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1]
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            if stripped.startswith("# error:") and found and not found[-1].fails:
                last = found.pop()
                found.append(Command(last.words, True, last.where))
            continue
        words = tuple(shlex.split(stripped, comments=True))
        if words:
            found.append(Command(words, False, f"{block.where}+{number + 1}"))
    return found
