"""The retention sweep deletes old recordings (file, raw streams, record) and unnamed leftovers."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from glimpse.bus.memory import MemoryBus
from glimpse.recordings.recorder import Recorder, file_name
from glimpse.recordings.retention import ORPHAN_AGE, Swept, sweep
from glimpse.store import RecordingChanges, RecordingRecord, RoomRecord, Store, UserRecord

pytestmark = pytest.mark.timeout(30)
RETENTION = timedelta(days=30)


async def add_recording(store: Store, recorder: Recorder, room: RoomRecord, age: timedelta) -> str:
    """A ready recording started `age` ago, with its file, and raw streams left behind."""
    recording = RecordingRecord(uuid.uuid4().hex, room.id, room.owner_id, datetime.now(UTC) - age)
    await store.create_recording(recording)
    name = file_name(recording.id)
    (recorder.recordings_dir / name).write_bytes(b"mp4")
    (recorder.raw_dir / recording.id).mkdir()
    (recorder.raw_dir / recording.id / "a.mjr").write_bytes(b"mjr")
    await store.update_recording(recording.id, RecordingChanges(status="ready", file_name=name))
    return recording.id


def aged(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_old_recordings_and_old_leftovers_are_deleted(store: Store, tmp_path: Path) -> None:
    recorder = Recorder(store, tmp_path / "recordings", tmp_path / "raw", MemoryBus())
    recorder.recordings_dir.mkdir()
    recorder.raw_dir.mkdir()
    owner = UserRecord(uuid.uuid4().hex, "o@example.org", "Olive", "x", datetime.now(UTC))
    await store.create_user(owner)
    room = RoomRecord(uuid.uuid4().hex, "abc", "Standup", owner.id, None, datetime.now(UTC))
    await store.create_room(room)
    old = await add_recording(store, recorder, room, RETENTION + timedelta(hours=1))
    recent = await add_recording(store, recorder, room, RETENTION - timedelta(hours=1))
    orphan_file = recorder.recordings_dir / file_name(uuid.uuid4().hex)  # a deleted room's
    orphan_file.write_bytes(b"x")
    aged(orphan_file, ORPHAN_AGE + 60)
    orphan_raw = recorder.raw_dir / uuid.uuid4().hex
    orphan_raw.mkdir()
    aged(orphan_raw, ORPHAN_AGE + 60)
    being_made = recorder.recordings_dir / file_name(uuid.uuid4().hex)
    being_made.write_bytes(b"new")
    foreign = [recorder.recordings_dir / "glimpse.db", recorder.raw_dir / "notes", tmp_path / "x"]
    for path in foreign:  # not of Glimpse's making (a folder set to hold something else too)
        path.write_bytes(b"keep")
        aged(path, ORPHAN_AGE + 60)
    still_recorded = RecordingRecord(
        uuid.uuid4().hex, room.id, owner.id, datetime.now(UTC) - RETENTION - timedelta(hours=1)
    )
    await store.create_recording(still_recorded)  # a meeting recorded past the retention
    (recorder.raw_dir / still_recorded.id).mkdir()

    assert await sweep(store, recorder, RETENTION) == Swept(recordings=1, orphans=2)

    assert await store.get_recording(old) is None
    assert not (recorder.recordings_dir / file_name(old)).exists()
    assert not (recorder.raw_dir / old).exists()
    assert {r.id for r in await store.list_recordings(room.id)} == {recent, still_recorded.id}
    assert (recorder.raw_dir / still_recorded.id).exists()
    assert (recorder.recordings_dir / file_name(recent)).exists()
    assert (recorder.raw_dir / recent).exists()
    assert not orphan_file.exists() and not orphan_raw.exists()
    assert being_made.exists()  # too young to be taken for a leftover
    assert all(path.exists() for path in foreign)
    assert await sweep(store, recorder, RETENTION) == Swept(recordings=0, orphans=0)
