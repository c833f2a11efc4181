"""docs/reference/cli-commands.md says exactly what the programs' --help says."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_cli_reference_is_current() -> None:
    tool = runpy.run_path(str(ROOT / "tools" / "make_cli_docs.py"))
    expected = tool["render"]()
    actual = (ROOT / "docs" / "reference" / "cli-commands.md").read_text(encoding="utf-8")
    assert actual == expected, "stale: run `python tools/make_cli_docs.py`"
    for command in (
        "party-agent tokenize",
        "party-agent query conversions",
        "cleanroom audit verify",
    ):
        assert f"`{command}`" in actual
