"""Regenerate ``docs/reference/cli-commands.md`` (every command and flag) from the apps.

Run ``python tools/make_cli_docs.py`` after changing a command; a test fails while the
file is stale. Uses Typer's own Markdown renderer, so the page says what ``--help`` says.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "reference" / "cli-commands.md"
APPS = (("party_agent.cli", "party-agent"), ("cleanroom.cli.main", "cleanroom"))
HEADER = """# Every command and flag

Generated from the programs themselves by `python tools/make_cli_docs.py`; the
narrative reference with examples is [cli.md](cli.md).

"""


def render() -> str:
    typer_bin = Path(sys.executable).with_name("typer")
    parts = [HEADER]
    for module, name in APPS:
        page = subprocess.run(  # noqa: S603 (fixed argv: our own modules)
            [str(typer_bin), module, "utils", "docs", "--name", name],
            capture_output=True,
            text=True,
            check=True,
            env={"COLUMNS": "100", "PATH": ""},
        ).stdout
        # Typer HTML-escapes quotes; Markdown shows them as they are.
        page = page.replace("&#x27;", "'").replace("&quot;", '"')
        parts.append(page.replace("# `", "## `", 1).strip() + "\n\n")
    return "".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
