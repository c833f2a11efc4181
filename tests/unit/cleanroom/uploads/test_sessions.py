"""Upload session housekeeping: idle expiry, per-member limit, disk capacity."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from cleanroom.errors import InsufficientStorage
from cleanroom.settings import Settings
from cleanroom.storage.bootstrap import open_storage
from cleanroom.storage.clock import system_clock
from cleanroom.storage.models import Collaboration, Member, UploadSession
from cleanroom.uploads.sessions import (
    FLUSH_EVERY,
    InFlight,
    RunningDigest,
    check_capacity,
    create_temp_file,
    expire_idle_uploads,
    temp_path,
)


def open_session(settings: Settings, session: Session, upload_id: str, idle_hours: float) -> None:
    session.merge(Collaboration(id="col_1", name="c"))
    session.merge(Member(id="mem_1", collaboration_id="col_1", party="p", role="party_admin"))
    stamp = system_clock() - timedelta(hours=idle_hours)
    session.add(
        UploadSession(
            id=upload_id,
            collaboration_id="col_1",
            member_id="mem_1",
            dataset="d",
            kind="exposures",
            size=10,
            sha256="0" * 64,
            updated_at=stamp,
        )
    )
    create_temp_file(settings, upload_id)
    session.commit()


def test_idle_sessions_expire_and_lose_their_files(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, upload_idle_hours=2)
    storage = open_storage(settings)
    with storage.sessionmaker() as session:
        open_session(settings, session, "upl_old", idle_hours=3)
        open_session(settings, session, "upl_new", idle_hours=1)
        assert len(expire_idle_uploads(session, settings)) == 1
        session.commit()
        assert session.get(UploadSession, "upl_old").status == "expired"
        assert session.get(UploadSession, "upl_new").status == "open"
    assert not temp_path(settings, "upl_old").exists()
    assert temp_path(settings, "upl_new").exists()


def test_no_session_without_disk_space(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, disk_reserve_bytes=1 << 60)
    storage = open_storage(settings)
    with storage.sessionmaker() as session, pytest.raises(InsufficientStorage):
        check_capacity(session, settings, "mem_1", 10)


def test_no_session_in_the_room_background_preparations_reserved(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, disk_reserve_bytes=0)
    storage = open_storage(settings)
    room = shutil.disk_usage(settings.tmp_dir).free
    size = room // 4  # other processes' writes may shrink the room a little meanwhile
    with storage.sessionmaker() as session:
        check_capacity(session, settings, "mem_1", size)  # fits on its own
        with pytest.raises(InsufficientStorage, match=f"a file of {size} bytes"):
            check_capacity(session, settings, "mem_1", size, preparing=room)


def test_stored_chunks_are_flushed_to_disk_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored chunk's bytes are fdatasync'ed off the request (so the fsync before
    publish has little left); a file gone meanwhile (published, aborted) is skipped."""
    settings = Settings(data_dir=tmp_path)
    flushed: list[str] = []
    real = os.fdatasync

    def record(handle: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{handle}"))
        real(handle)

    monkeypatch.setattr(os, "fdatasync", record)
    uploads = InFlight(settings)
    try:
        for upload_id in ("kept", "gone"):
            path = create_temp_file(settings, upload_id)
            path.write_bytes(b"x" * 100)
            upload = UploadSession(id=upload_id, size=2 * FLUSH_EVERY, received=100)
            if upload_id == "gone":
                path.unlink()
            uploads.stored(upload, RunningDigest(100))  # not yet FLUSH_EVERY bytes
            uploads.stored(upload, RunningDigest(FLUSH_EVERY + 100))
    finally:
        uploads.close()  # waits for the flushes queued
    assert flushed == [str(temp_path(settings, "kept"))]
