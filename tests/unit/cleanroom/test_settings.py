"""Settings come from keyword arguments (flags) over ``CLEANROOM_*`` env vars."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.settings import Settings


def test_env_vars_and_flags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLEANROOM_MAX_UPLOAD_BYTES", "1234")
    monkeypatch.setenv("CLEANROOM_PORT", "9000")
    settings = Settings(data_dir=tmp_path, port=8001)
    assert (settings.max_upload_bytes, settings.port) == (1234, 8001)
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'cleanroom.db'}"
