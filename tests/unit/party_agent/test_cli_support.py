"""Every failure becomes one ``error:`` line; unexpected errors never show their text."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from party_agent.cli_support import reports_errors
from party_agent.errors import InputError, MappingError

RAW = "jane.doe@example.com"


def _run(error: BaseException) -> tuple[int, str]:
    app = typer.Typer()

    @app.command()
    @reports_errors
    def fail() -> None:
        raise error

    result = CliRunner().invoke(app, [])
    return result.exit_code, result.stderr


def test_agent_errors_keep_their_message_and_code() -> None:
    assert _run(MappingError("m.yaml", ["a", "b"])) == (
        2,
        "error: mapping m.yaml has 2 problems: a; b\n",
    )
    assert _run(InputError("column 'x', data row 3: bad")) == (
        1,
        "error: column 'x', data row 3: bad\n",
    )


def test_os_errors_show_reason_and_file() -> None:
    error = PermissionError(13, "Permission denied", "/data/out.parquet")
    assert _run(error) == (1, "error: Permission denied: /data/out.parquet\n")


def test_unexpected_errors_withhold_their_text() -> None:
    code, stderr = _run(ValueError(f"could not parse {RAW}"))
    assert code == 1
    assert RAW not in stderr
    assert stderr.startswith("error: unexpected ValueError (details withheld")


def test_debug_variable_reraises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTY_AGENT_DEBUG", "1")
    app = typer.Typer()

    @app.command()
    @reports_errors
    def fail() -> None:
        raise ValueError("boom")

    result = CliRunner().invoke(app, [])
    assert isinstance(result.exception, ValueError)
