"""docs/reference/http-api.md lists exactly the endpoints the server serves."""

from __future__ import annotations

from pathlib import Path

from cleanroom.api_doc import BEGIN, END, current_spec, render

DOC = Path(__file__).resolve().parents[3] / "docs" / "reference" / "http-api.md"


def test_http_api_reference_is_generated_from_the_current_spec() -> None:
    text = DOC.read_text(encoding="utf-8")
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert generated == render(current_spec()).strip(), (
        "regenerate with: python -m cleanroom.api_doc docs/reference/http-api.md"
    )
