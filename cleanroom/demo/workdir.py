"""The demo's working directory: one folder per actor, and a careful fresh start.

Layout (``DIR`` is ``--workdir``)::

    DIR/.cleanroom-demo   marker: this folder was made by `cleanroom demo`
    DIR/brand/            the brand's raw files (exposures.csv, spend.csv), its mapping,
                          its token file and its party home (home/)
    DIR/retailer/         the retailer's raw file (purchases.csv), mapping, token file, home/
    DIR/server/           the clean-room server's data dir (database, datasets, keys)
    DIR/admin/            the server admin's files: the collaboration policy (YAML)
    DIR/truth/            the synthetic world's person ids (only the demo reads these)
    DIR/reports/          results.html, compliance.html, audit-log.jsonl, results.json
    DIR/logs/             the server log and each command's output

A rerun removes exactly these entries, and only when the marker is present, so a
``--workdir`` pointing at a folder of other files is refused rather than emptied.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from cleanroom.demo.errors import DemoUsageError

MARKER = ".cleanroom-demo"
FOLDERS = ("brand", "retailer", "server", "admin", "truth", "reports", "logs")


@dataclass(frozen=True)
class Layout:
    """Where every actor's files live under the working directory."""

    root: Path

    @property
    def brand(self) -> Path:
        return self.root / "brand"

    @property
    def retailer(self) -> Path:
        return self.root / "retailer"

    @property
    def server(self) -> Path:
        return self.root / "server"

    @property
    def admin(self) -> Path:
        return self.root / "admin"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def home(self, party: str) -> Path:
        """The party home of ``brand`` or ``retailer``, inside that party's folder."""
        return self.root / party / "home"

    def relative(self, path: Path) -> str:
        """``path`` relative to the working directory when inside it (for display)."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def prepare(root: Path) -> Layout:
    """Create a fresh working directory, clearing a previous demo run in ``root``.

    Raises :class:`DemoUsageError` when ``root`` holds files but no marker (not ours).
    """
    root = root.expanduser().absolute()
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise DemoUsageError(f"--workdir {root} is not a plain directory")
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise DemoUsageError(
                f"--workdir {root} is not empty and was not made by the demo "
                f"(no {MARKER} file); choose another directory"
            )
        _clear(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text(
        "Made by `cleanroom demo`; the next run removes the demo's folders here.\n",
        encoding="utf-8",
    )
    layout = Layout(root)
    for name in FOLDERS:
        (root / name).mkdir(mode=0o700)
    return layout


def _clear(root: Path) -> None:
    """Remove the demo's own entries (never following a symlink out of ``root``)."""
    for name in FOLDERS:
        entry = root / name
        if entry.is_symlink() or entry.is_file():
            entry.unlink()
        elif entry.is_dir():
            shutil.rmtree(entry)
    (root / MARKER).unlink()
