"""Fixtures: one real ``cleanroom serve`` per test session, a two-collaboration world,
and an in-process app with an injected clock (``app``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cleanroom.server.app import create_app
from cleanroom.server.auth import bootstrap_admin
from cleanroom.settings import Settings
from cleanroom.storage.bootstrap import open_storage
from tests.integration.clock import Clock
from tests.integration.datasets import SEED_KEY
from tests.integration.server import ServerProcess
from tests.integration.world import ROLES, Collab, api, bind_match_key, make_collaboration

#: Small limits so oversize and multi-chunk paths run on tiny files.
LIMITS = {"CLEANROOM_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024), "CLEANROOM_MAX_CHUNK_BYTES": "65536"}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("srv") / "data", env=LIMITS).start()
    assert process.admin_token.startswith("crt_")
    yield process
    process.stop()


@pytest.fixture(scope="session")
def admin(server: ServerProcess) -> Iterator[httpx.Client]:
    with api(server.url, server.admin_token) as client:
        yield client


@pytest.fixture(scope="session")
def collab_a(server: ServerProcess, admin: httpx.Client) -> Collab:
    """Brand x retailer, with brand's seed match key registered (``datasets.SEED_KEY``)."""
    collab = make_collaboration(admin, "brand x retailer", ROLES)
    with api(server.url, collab.members["brand"].token) as brand:
        bind_match_key(brand, collab.id, collab.members["brand"], SEED_KEY)
    return collab


@pytest.fixture(scope="session")
def collab_b(admin: httpx.Client) -> Collab:
    return make_collaboration(admin, "other", {"other": "party_admin", "other-an": "analyst"})


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 30, 23, 0, tzinfo=UTC))


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[FastAPI]:
    """The app in this process on a fresh SQLite data dir, with a bootstrap admin token."""
    settings = Settings(data_dir=tmp_path / "data")
    storage = open_storage(settings, clock=clock)
    issued = bootstrap_admin(storage)
    assert issued is not None
    app = create_app(settings, storage)
    app.state.admin_token = issued[1]
    yield app
    storage.engine.dispose()
