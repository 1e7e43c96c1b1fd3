"""Recording an SFU room: a real Janus records aiortc publishers, janus-pp-rec and ffmpeg make
one file, ffprobe checks it."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from glimpse.bus.memory import MemoryBus
from glimpse.recordings.recorder import Recorder, SfuRoom
from glimpse.sfu.janus import JanusSession
from glimpse.store import RecordingChanges, RoomRecord, Store, UserRecord
from tests.conftest import ServerFactory
from tests.janus import PROBING, Janus
from tests.recordings.media import brightness, mean_volume, probe
from tests.recordings.publisher import VIDEOROOM, Publisher, publish

RECORDED_SECONDS = float(os.environ.get("GLIMPSE_TEST_RECORDED_SECONDS", "60"))
"""How long the test records: a minute (GLIMPSE_TEST_RECORDED_SECONDS=12 for a quicker run)."""
DURATION_TOLERANCE = 1.5
MJR_MAGIC = b"MJR00002"
"""What Janus writes first in a stream's file; the header follows with the first packet."""
LATE_JOINER_AFTER = RECORDED_SECONDS / 3

pytestmark = pytest.mark.timeout(60 + 3 * RECORDED_SECONDS)


async def publish_nothing(meeting: Meeting, raw: Path) -> None:
    """A publisher joins, sends nothing and leaves; Janus leaves two streams in `raw` (audio,
    video) with nothing past the .mjr's magic bytes (once closed: within a few seconds)."""

    def streams() -> dict[Path, bytes]:
        return {mjr: mjr.read_bytes() for mjr in raw.glob("*.mjr")}

    before = await asyncio.to_thread(streams)
    silent = await publish(meeting.session, meeting.sfu.room, "cleo", silent=True)
    await silent.close()
    async with asyncio.timeout(5):
        while True:
            now = await asyncio.to_thread(streams)
            added = [content for mjr, content in now.items() if mjr not in before]
            if added == [MJR_MAGIC, MJR_MAGIC]:
                return
            await asyncio.sleep(0.1)


@dataclass
class Meeting:
    """A Janus videoroom with the handle Glimpse controls it by, and a room in the store."""

    session: JanusSession
    sfu: SfuRoom
    room: RoomRecord


@pytest.fixture
async def meeting(janus: Janus, store: Store) -> AsyncIterator[Meeting]:
    owner = UserRecord(uuid.uuid4().hex, "owner@example.org", "Olive", "x", datetime.now(UTC))
    await store.create_user(owner)
    room = RoomRecord(uuid.uuid4().hex, "abc", "Standup", owner.id, None, datetime.now(UTC))
    await store.create_room(room)
    session = await JanusSession.connect(janus.url, janus.api_secret, probing=PROBING)
    handle = await session.attach(VIDEOROOM)
    secret = secrets.token_urlsafe(16)
    created = await handle.request(
        {"request": "create", "admin_key": janus.admin_key, "secret": secret,
         "publishers": 10, "audiocodec": "opus", "videocodec": "vp8"}
    )  # fmt: skip
    yield Meeting(session, SfuRoom(handle, created.data["room"], secret), room)
    await session.close()


async def test_a_recorded_meeting_gives_one_playable_file_of_its_length(
    meeting: Meeting, store: Store, tmp_path: Path
) -> None:
    recorder = Recorder(store, tmp_path / "recordings", tmp_path / "raw", MemoryBus())
    publishers: list[Publisher] = [await publish(meeting.session, meeting.sfu.room, "ann")]
    try:
        await asyncio.sleep(1)  # media flowing before the recording starts
        started = await recorder.start(meeting.room.id, meeting.room.owner_id, meeting.sfu)
        began = time.monotonic()
        assert await recorder.active(meeting.room.id) == started
        await publish_nothing(meeting, recorder.raw_dir / started.id)  # Cleo's empty streams
        await asyncio.sleep(LATE_JOINER_AFTER - (time.monotonic() - began))
        publishers.append(await publish(meeting.session, meeting.sfu.room, "bob", tone=660.0))
        await asyncio.sleep(began + RECORDED_SECONDS - time.monotonic())
        stopped = await recorder.stop(meeting.room.id, meeting.sfu)
        recorded = time.monotonic() - began
    finally:
        for publisher in publishers:
            await publisher.close()
    assert stopped is not None and stopped.status == "processing"
    assert await recorder.active(meeting.room.id) is None

    await asyncio.wait_for(recorder.processed(), 2 * RECORDED_SECONDS + 30)

    ready = await store.get_recording(started.id)
    assert ready is not None, "the record is gone"
    assert ready.status == "ready", ready.error  # Cleo's empty streams left out
    assert ready.file_name is not None and ready.duration_seconds is not None
    path = recorder.recordings_dir / ready.file_name
    probed = probe(path)
    streams = probed["streams"]
    assert isinstance(streams, list)
    assert sorted(s["codec_type"] for s in streams) == ["audio", "video"]
    duration = float(probed["format"]["duration"])  # type: ignore[index]
    assert abs(duration - recorded) <= DURATION_TOLERANCE, (duration, recorded)
    assert abs(ready.duration_seconds - duration) < 0.1
    assert ready.size_bytes == path.stat().st_size
    assert not (recorder.raw_dir / started.id).exists()  # the raw streams are gone
    # Bob, who joined late, is in the grid's right half and in the mix from then on, not before.
    before, after = 1.0, LATE_JOINER_AFTER + 3
    assert brightness(path, before, right_half=True) < 5
    assert brightness(path, after, right_half=True) > 20
    assert brightness(path, before, right_half=False) > 20
    louder = mean_volume(path, after, after + 1) - mean_volume(path, before, before + 1)
    assert 2 < louder < 4, louder  # a second tone as loud, another pitch: twice the power, +3 dB


async def test_a_recording_without_media_fails_with_its_reason(
    meeting: Meeting, store: Store, tmp_path: Path
) -> None:
    recorder = Recorder(store, tmp_path / "recordings", tmp_path / "raw", MemoryBus())
    started = await recorder.start(meeting.room.id, meeting.room.owner_id, meeting.sfu)
    await recorder.stop(meeting.room.id, meeting.sfu)  # nobody published meanwhile
    await asyncio.wait_for(recorder.processed(), 30)

    failed = await store.get_recording(started.id)
    assert failed is not None and failed.status == "failed"
    assert failed.error == "nothing was recorded: no stream with media"
    assert failed.file_name is None
    assert (recorder.raw_dir / started.id).is_dir()  # kept for an operator until the sweep


async def test_a_file_left_unmade_by_a_dead_instance_is_made_by_the_next_to_start(
    meeting: Meeting, store: Store, tmp_path: Path, start_server: ServerFactory
) -> None:
    folders = {"recordings_dir": tmp_path / "recordings", "recording_raw_dir": tmp_path / "raw"}
    recorder = Recorder(store, *folders.values(), MemoryBus())
    ann = await publish(meeting.session, meeting.sfu.room, "ann")
    try:
        started = await recorder.start(meeting.room.id, meeting.room.owner_id, meeting.sfu)
        await asyncio.sleep(3)
        await meeting.sfu.record(False)
    finally:
        await ann.close()
    # Stopped, and its instance died making the file (with its in-process bus, which named it).
    ended = RecordingChanges(status="processing", ended_at=datetime.now(UTC))
    await store.update_recording(started.id, ended)

    await start_server(
        database_url=f"sqlite:///{tmp_path / 'glimpse.db'}", **folders,
        bus_presence_ttl=1.0, bus_heartbeat_interval=0.5,
    )  # fmt: skip
    async with asyncio.timeout(30):
        while True:
            made = await store.get_recording(started.id)
            if made is None or made.status != "processing":
                break
            await asyncio.sleep(0.5)
    assert made is not None and made.status == "ready", made
    assert made.file_name is not None and made.duration_seconds is not None
    assert 2 < made.duration_seconds < 4.5
    probed = probe(folders["recordings_dir"] / made.file_name)
    assert sorted(s["codec_type"] for s in probed["streams"]) == ["audio", "video"]
