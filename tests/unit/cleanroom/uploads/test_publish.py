"""Publishing: one rename plus one commit, or nothing at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cleanroom.errors import Conflict
from cleanroom.storage.models import Dataset, DatasetVersion, UploadSession, UploadStatus
from cleanroom.uploads.publish import publish, publish_unless_unchanged
from cleanroom.uploads.sessions import temp_path
from cleanroom.uploads.validation import ValidatedFile, validate_dataset
from protocols import DatasetKind
from tests.integration.query_world import exposures, purchases
from tests.unit.cleanroom.room import Room


def validated_upload(
    room: Room, session: Session, table: pa.Table
) -> tuple[UploadSession, ValidatedFile]:
    """brand's upload of ``table`` as the exposures dataset ``exp``, validated."""
    upload = room.upload(session, "brand", "exp", "exposures", table)
    expected = room.expected(session, DatasetKind.EXPOSURES)
    checked = validate_dataset(temp_path(room.settings, upload.id), DatasetKind.EXPOSURES, expected)
    return upload, checked


def count(room: Room, model: type[Any]) -> int:
    with room.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_publish_renames_the_file_into_place_and_commits_version_and_audit(
    room: Room,
) -> None:
    table = exposures(room.id)
    with room.session() as session:
        upload, checked = validated_upload(room, session, table)
        source = temp_path(room.settings, upload.id)
        data = source.read_bytes()
        version = publish(session, room.settings, upload, checked, room.actor("brand"))
    final = room.settings.data_dir / "datasets" / room.id / "exp" / "v1.parquet"
    assert (version.version, version.path) == (1, f"datasets/{room.id}/exp/v1.parquet")
    assert final.read_bytes() == data  # as uploaded; prepared for queries in the background
    assert not source.exists()
    with room.session() as session:
        stored = session.get(DatasetVersion, version.id)
        dataset = session.scalars(select(Dataset)).one()
        status = session.get(UploadSession, upload.id)
    assert stored is not None and (stored.rows, stored.columns) == (150, table.schema.names)
    assert (stored.sha256, stored.size, stored.uploaded_by) == (
        upload.sha256,
        len(data),
        room.members["brand"].id,
    )
    assert (dataset.name, dataset.kind, dataset.owner_id) == ("exp", "exposures", upload.member_id)
    assert status is not None and status.status is UploadStatus.COMPLETE
    [entry] = room.audit_entries("dataset.publish")
    assert (entry.actor, entry.outcome) == (room.actor("brand"), "ok")
    assert entry.details == {
        "dataset": "exp",
        "kind": "exposures",
        "version": 1,
        "rows": 150,
        "sha256": upload.sha256,
        "upload_id": upload.id,
    }


def test_versions_count_up_per_dataset_and_earlier_files_stay(room: Room) -> None:
    published = [
        room.publish("brand", "exp", "exposures", exposures(room.id)),
        room.publish("brand", "exp", "exposures", exposures(room.id).slice(0, 10)),
        room.publish("retailer", "pur", "purchases", purchases(room.id)),
        room.publish("brand", "exp", "exposures", exposures(room.id).slice(0, 20)),
    ]
    assert [(Path(v.path).parent.name, v.version, v.rows) for v in published] == [
        ("exp", 1, 150),
        ("exp", 2, 10),
        ("pur", 1, 180),
        ("exp", 3, 20),
    ]
    for version in published:
        assert (room.settings.data_dir / version.path).is_file()
    assert count(room, Dataset) == 2
    assert [e.details["version"] for e in room.audit_entries("dataset.publish")] == [1, 2, 1, 3]


def fail_commits(session: Session) -> None:
    def refuse(_: Session) -> None:
        raise OSError("disk full (injected)")

    event.listen(session, "before_commit", refuse)


def test_a_failed_commit_leaves_no_file_and_no_row(room: Room) -> None:
    room.publish("brand", "exp", "exposures", exposures(room.id))
    with room.session() as session:
        upload, checked = validated_upload(room, session, exposures(room.id))
        session.commit()
        fail_commits(session)
        with pytest.raises(OSError, match=r"^disk full \(injected\)$"):
            publish(session, room.settings, upload, checked, room.actor("brand"))
    folder = room.settings.data_dir / "datasets" / room.id / "exp"
    assert sorted(p.name for p in folder.iterdir()) == ["v1.parquet"]
    assert count(room, DatasetVersion) == 1
    assert [e.details["version"] for e in room.audit_entries("dataset.publish")] == [1]
    with room.session() as session:
        status = session.get(UploadSession, upload.id)
    assert status is not None and status.status is UploadStatus.VALIDATING


def test_a_failed_first_publish_leaves_no_dataset_either(room: Room) -> None:
    with room.session() as session:
        upload, checked = validated_upload(room, session, exposures(room.id))
        fail_commits(session)
        with pytest.raises(OSError):
            publish(session, room.settings, upload, checked, room.actor("brand"))
    assert not (room.settings.datasets_dir / room.id).joinpath("exp", "v1.parquet").exists()
    assert (count(room, Dataset), count(room, DatasetVersion), count(room, UploadSession)) == (
        0,
        0,
        0,
    )
    assert room.audit_actions() == []


@pytest.mark.parametrize(
    ("owner", "kind", "message"),
    [
        ("retailer", "exposures", "dataset 'exp' belongs to another party"),
        ("brand", "purchases", "dataset 'exp' holds exposures, not purchases"),
    ],
)
def test_a_dataset_name_keeps_its_owner_and_kind(
    room: Room, owner: str, kind: str, message: str
) -> None:
    room.publish("brand", "exp", "exposures", exposures(room.id))
    with room.session() as session:
        upload = room.upload(session, owner, "exp", kind, exposures(room.id))
        with pytest.raises(Conflict) as refused:
            publish(session, room.settings, upload, ValidatedFile(150, []), room.actor(owner))
    assert str(refused.value) == message
    assert count(room, DatasetVersion) == 1
    assert temp_path(room.settings, upload.id).exists()


def test_identical_bytes_validated_side_by_side_publish_one_version(room: Room) -> None:
    """Two uploads of the same bytes both passed the early check; under the lock the
    second finds the first's version and publishes nothing."""
    table = exposures(room.id)
    with room.session() as session:
        first, first_checked = validated_upload(room, session, table)
        second, second_checked = validated_upload(room, session, table)
        session.commit()
        assert first.sha256 == second.sha256
        actor = room.actor("brand")
        published, new = publish_unless_unchanged(
            session, room.settings, first, first_checked, actor
        )
        kept, again = publish_unless_unchanged(
            session, room.settings, second, second_checked, actor
        )
    assert (published.version, new) == (1, True)
    assert (kept.id, kept.version, again) == (published.id, 1, False)
    assert count(room, DatasetVersion) == 1
    assert not temp_path(room.settings, second.id).exists()
    [entry] = room.audit_entries("dataset.unchanged")
    assert entry.details == {
        "dataset": "exp",
        "kind": "exposures",
        "version": 1,
        "sha256": second.sha256,
        "upload_id": second.id,
    }
    with room.session() as session:
        status = session.get(UploadSession, second.id)
    assert status is not None and status.status is UploadStatus.COMPLETE
