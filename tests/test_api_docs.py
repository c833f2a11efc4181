"""docs/reference/http-api.md lists exactly the endpoints the server serves."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reference" / "http-api.md"


def test_http_api_reference_is_generated_from_the_current_spec() -> None:
    tool = runpy.run_path(str(ROOT / "tools" / "make_api_doc.py"))
    text = DOC.read_text(encoding="utf-8")
    generated = text.split(tool["BEGIN"], 1)[1].split(tool["END"], 1)[0].strip()
    assert generated == tool["render"](tool["current_spec"]()).strip(), (
        "regenerate with: python tools/make_api_doc.py docs/reference/http-api.md"
    )
