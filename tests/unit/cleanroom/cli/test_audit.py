"""``cleanroom audit verify`` prints OK or the first bad entry, with exit codes."""

from __future__ import annotations

from pathlib import Path

import typer
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from cleanroom.cli.audit import audit_app
from tests.unit.cleanroom.audit.test_verify import KEY, OTHER, _export

runner = CliRunner()
cli = typer.Typer()
cli.add_typer(audit_app, name="audit")


def _write_key(path: Path, key: object) -> Path:
    pem = KEY.public_key() if key is KEY else OTHER.public_key()
    path.write_bytes(
        pem.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def test_verify_ok_and_tampered(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text("\n".join(_export()) + "\n", encoding="utf-8")
    good = runner.invoke(
        cli, ["audit", "verify", str(log), "--public-key", str(_write_key(tmp_path / "k.pem", KEY))]
    )
    assert good.exit_code == 0, good.output
    assert good.output.strip() == "OK: 6 entries, chain and signatures verified"
    other = _write_key(tmp_path / "other.pem", OTHER)
    bad = runner.invoke(cli, ["audit", "verify", str(log), "--public-key", str(other)])
    assert bad.exit_code == 1
    assert bad.output.startswith("FAILED at line 1 (seq 1): signature does not verify")


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    key = _write_key(tmp_path / "k.pem", KEY)
    result = runner.invoke(
        cli, ["audit", "verify", str(tmp_path / "nope.jsonl"), "--public-key", str(key)]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1
