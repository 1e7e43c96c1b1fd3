"""Redis (the bus) loses its data mid-meeting (FLUSHDB, as a restart without persistence) while
the Glimpse instance recording the meeting lives: the room's media path and recording are written
back and the room told, so a newcomer joins the others' path and hears that it is recorded; or,
when another instance put the room on a path of its own first, everyone moves there in a new
generation and the recording, whose Janus room is gone, is finished and announced as stopped."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import redis.asyncio as aioredis

from glimpse.bus.redis import MEETING_SUFFIX, ROOM_CHANNEL
from glimpse.recordings.control import OWNER, WATCH_INTERVAL
from glimpse.sfu.janus import JanusSession
from glimpse.sfu.janus_rooms import create_room
from glimpse.sfu.media_path import FIELD, RoomMedia
from glimpse.sfu.registry import VIDEOROOM
from tests.conftest import InProcessServer, RedisServer, ServerFactory, User, WsClient
from tests.janus import PROBING, Janus
from tests.recordings.test_record_meeting import DURATION_TOLERANCE, finished, record
from tests.sfu.conftest import janus_settings, sfu_room
from tests.sfu.peers import Publisher, expect_skipping

pytestmark = pytest.mark.timeout(60)
VIDEO = {"audio": True, "video": True}
NOTICED = WATCH_INTERVAL + 3.0
"""Seconds within which the recording instance's look notices the loss (a loaded machine)."""


class Meeting:
    """Ann (a host, her camera published) and Bob in an SFU room of one instance, recorded."""

    def __init__(
        self, server: InProcessServer, shared: dict[str, Any], ann: User, room: dict[str, Any]
    ) -> None:
        self.server, self.ann, self.room = server, ann, room
        self.shared = shared
        """The settings another instance of the meeting's cluster starts with."""
        self.key = ROOM_CHANNEL + room["id"] + MEETING_SUFFIX
        self.camera = Publisher()
        self.a: WsClient
        self.b: WsClient
        self.started: dict[str, Any]
        self.began = 0.0

    async def state(self) -> dict[str, bytes]:
        """The meeting's state in Redis."""
        return await self.server.services.hub.bus.meeting(self.room["id"])

    async def start(self) -> None:
        bob = await self.server.register("Bob")
        self.a, self.b = await self.server.connect(self.ann), await self.server.connect(bob)
        await self.a.join(self.room["code"], media=VIDEO)
        await self.b.join(self.room["code"], media=VIDEO)
        await self.camera.publish(self.a)
        self.started = await record(self.a, True)
        self.began = time.monotonic()
        assert await expect_skipping(self.b, "recording") == self.started


@pytest.fixture
async def meeting(
    janus: Janus, start_server: ServerFactory, tmp_path: Path, redis_server: RedisServer
) -> AsyncIterator[Meeting]:
    shared: dict[str, Any] = {
        "bus_url": redis_server.url,
        "database_url": f"sqlite:///{tmp_path / 'shared.db'}",
        "secret_key": secrets.token_urlsafe(48),
        "bus_presence_ttl": 2.0,
        "bus_heartbeat_interval": 0.5,
        **janus_settings(janus),
    }
    server = await start_server(**shared)
    ann = await server.register("Ann")
    running = Meeting(server, shared, ann, await sfu_room(server, ann))
    try:
        await running.start()
        yield running
    finally:
        await running.camera.close()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


async def test_the_recording_instance_writes_back_the_path_and_recording_and_tells_the_room(
    meeting: Meeting, redis: aioredis.Redis, start_server: ServerFactory
) -> None:
    before = await meeting.state()
    await asyncio.sleep(1)
    await redis.flushdb()

    for client in (meeting.a, meeting.b):  # told again that it is recorded (not that it stopped)
        assert await expect_skipping(client, "recording", timeout=NOTICED) == meeting.started
    after = await meeting.state()
    for field in (FIELD, OWNER, "recording"):
        assert after[field] == before[field], field

    # A newcomer on another instance (one that knew nothing of the meeting)
    other = await start_server(**meeting.shared)
    carol = await other.connect(await other.register("Carol"))
    joined = await carol.join(meeting.room["code"], media=VIDEO)
    assert joined["recording"] is True
    assert joined["media_path"] == {"mode": "sfu", "generation": 1}
    path = msgspec.json.decode(before[FIELD], type=RoomMedia)
    carol_camera = Publisher()
    try:
        answer = await carol_camera.publish(carol)
        assert f"s=VideoRoom {path.room}\r\n" in answer["sdp"]  # the others' Janus room
        await asyncio.sleep(1)  # recorded too
        stopped = await record(meeting.a, False)
        recorded = time.monotonic() - meeting.began
        assert stopped["active"] is False
    finally:
        await carol_camera.close()

    (done,) = await finished(meeting.server, meeting.ann, meeting.room)
    assert done["status"] == "ready", done["error"]
    assert abs(done["duration_seconds"] - recorded) <= DURATION_TOLERANCE, (done, recorded)


async def test_a_path_another_instance_set_first_moves_everyone_to_a_new_generation(
    meeting: Meeting, redis: aioredis.Redis, janus: Janus
) -> None:
    old = msgspec.json.decode((await meeting.state())[FIELD], type=RoomMedia)
    session = await JanusSession.connect(janus.url, janus.api_secret, probing=PROBING)
    try:
        control = await session.attach(VIDEOROOM)
        room = await create_room(control, janus.admin_key, 4)
        theirs = RoomMedia("sfu", old.generation, janus.url, room.id, room.secret, room.pin)
        async with redis.pipeline(transaction=True) as lost:  # the loss, then another's path
            lost.flushdb()
            lost.hset(meeting.key, FIELD, msgspec.json.encode(theirs))
            await lost.execute()

        moved = {"mode": "sfu", "generation": old.generation + 1}
        for client in (meeting.a, meeting.b):
            told = await expect_skipping(client, "media-path", timeout=NOTICED)
            assert told["media_path"] == moved
            stopped = await expect_skipping(client, "recording", timeout=NOTICED)
            assert stopped == {"type": "recording", "active": False}
        stored = msgspec.json.decode((await meeting.state())[FIELD], type=RoomMedia)
        assert stored == msgspec.structs.replace(theirs, generation=old.generation + 1)
        exists = await control.request({"request": "exists", "room": old.room})
        assert exists.data["exists"] is False  # the old Janus room, left behind, is gone
    finally:
        await session.close()

    (done,) = await finished(meeting.server, meeting.ann, meeting.room)
    assert done["status"] == "ready", done["error"]
