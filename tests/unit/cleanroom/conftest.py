"""Fixtures of the server's unit tests: a collaboration in a fresh SQLite data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.cleanroom.room import Room, make_room


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    """brand and retailer (party_admins with registered keys) and ana (analyst); no policy."""
    room = make_room(tmp_path / "data")
    yield room
    room.storage.engine.dispose()
