"""Run ``party-agent`` and ``cleanroom`` commands as separate processes, as a user would.

Each command runs as ``python -m party_agent ...`` / ``python -m cleanroom ...`` with the
demo's own interpreter (no PATH needed). Its output goes to ``DIR/logs/NN-label.log``;
the runner keeps, for the summary and the JSON document, the command as a user would
type it (paths relative to the working directory, secrets replaced by a placeholder)
and how long it took. A failed command raises :class:`DemoError` with the command's
own ``error:`` line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cleanroom.demo.errors import DemoError
from cleanroom.demo.workdir import Layout

PROGRAMS = {"party-agent": "party_agent", "cleanroom": "cleanroom"}
TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Command:
    """One command line: ``program`` is ``party-agent`` or ``cleanroom``."""

    actor: str  # who runs it: brand, retailer, admin, auditor
    label: str  # what it does, in a few words
    program: str
    args: tuple[str, ...]
    secrets: dict[str, str] = field(default_factory=dict)  # value -> placeholder
    env: dict[str, str] = field(default_factory=dict)
    stdout_to: Path | None = None  # like `> FILE` in a shell


@dataclass(frozen=True)
class Ran:
    """A finished command: what a user would type, its output and its duration."""

    command: Command
    shown: str
    stdout: str
    seconds: float


class Runner:
    """Runs commands one by one or side by side; remembers each for the summary."""

    def __init__(self, layout: Layout, on_done: Callable[[Ran], None]) -> None:
        self.layout = layout
        self.ran: list[Ran] = []
        self._on_done = on_done
        self._lock = threading.Lock()
        self._count = 0

    def shown(self, command: Command) -> str:
        """The command as a user types it, with placeholders for secrets."""
        words = [command.program]
        for arg in command.args:
            text = command.secrets.get(arg, arg)
            root = str(self.layout.root) + os.sep
            text = text.replace(root, "")
            words.append(_quote(text))
        if command.stdout_to is not None:
            words += [">", self.layout.relative(command.stdout_to)]
        return " ".join(words)

    def run(self, command: Command) -> Ran:
        with self._lock:
            self._count += 1
            number = self._count
        log = self.layout.logs / f"{number:02d}-{command.actor}-{_slug(command.label)}.log"
        # -P: the demo's work directory has a reports/ folder, which would shadow the
        # reports package the agent imports (as in server_process).
        argv = [sys.executable, "-P", "-m", PROGRAMS[command.program], *command.args]
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 -- our own interpreter and modules
            argv,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "120", **command.env},
            cwd=self.layout.root,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT_S,
            check=False,
        )
        seconds = time.perf_counter() - started
        shown = self.shown(command)
        log.write_text(f"$ {shown}\n{done.stdout}\n--- stderr ---\n{done.stderr}", "utf-8")
        if done.returncode != 0:
            reason = _error_line(done.stderr, done.stdout)
            raise DemoError(f"{command.actor}: {command.label} failed: {reason}")
        if command.stdout_to is not None:
            command.stdout_to.write_text(done.stdout, encoding="utf-8")
        ran = Ran(command, shown, done.stdout, seconds)
        with self._lock:
            self.ran.append(ran)
        self._on_done(ran)
        return ran

    def run_all(self, commands: Sequence[Command]) -> list[Ran]:
        """Run independent commands side by side (as two companies would); in order."""
        if len(commands) == 1:
            return [self.run(commands[0])]
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            futures = [pool.submit(self.run, command) for command in commands]
            return [future.result() for future in futures]


def _error_line(stderr: str, stdout: str) -> str:
    """The child's ``error:`` line (its one-line failure), else its last line of output."""
    errors = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(errors):
        if line.startswith("error:"):
            return line.removeprefix("error:").strip()
    lines = [line.strip() for line in stdout.splitlines() if line.strip()] or errors
    return lines[-1] if lines else "no error message (see DIR/logs)"


def _slug(label: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in label.lower()).split())[:40]


def _quote(word: str) -> str:
    plain = word and all(c.isalnum() or c in "-_./=:@,$+" for c in word)
    return word if plain else "'" + word.replace("'", "'\\''") + "'"
