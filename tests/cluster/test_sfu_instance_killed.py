"""A Glimpse instance killed (`kill -9`) in the middle of SFU meetings leaves nothing behind: its
share of the Janus load stops counting within the presence TTL, so placement is no longer skewed;
the Janus room of a meeting it alone served is destroyed (and the meeting's media path no longer
points to it), and a recording it started is stopped, made into a file and announced, by a
surviving instance or, with none left, by the next instance to start."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from glimpse.bus import Bus, open_bus
from glimpse.recordings.control import WATCH_INTERVAL
from glimpse.sfu.media_path import FIELD, LOOK_INTERVAL, RoomMedia
from glimpse.sfu.registry import LOAD
from tests.cluster.conftest import Cluster
from tests.janus import Janus, glimpse_environment, janus_rooms
from tests.recordings.media import probe
from tests.recordings.test_record_meeting import finished, record
from tests.sfu.conftest import sfu_room
from tests.sfu.peers import Publisher, expect_skipping

pytestmark = pytest.mark.timeout(150)
PRESENCE_TTL = 2.0
HEARTBEAT = 0.5
MARGIN = 3.0
"""Seconds allowed past each promised bound (a loaded machine, polling)."""
VIDEO = {"audio": True, "video": True}


def sfu_environment(*servers: Janus, **extra: str) -> dict[str, str]:
    """GLIMPSE_* variables of instances on these Janus that take a dead one for dead fast."""
    return {
        **glimpse_environment(*servers),
        "GLIMPSE_BUS_PRESENCE_TTL": str(PRESENCE_TTL),
        "GLIMPSE_BUS_HEARTBEAT_INTERVAL": str(HEARTBEAT),
        **extra,
    }


@pytest.fixture
async def observer(cluster: Cluster) -> AsyncIterator[Bus]:
    """A look at what the cluster keeps in Redis (it takes no part: never connected)."""
    bus = open_bus(cluster.bus_url, presence_ttl=PRESENCE_TTL, heartbeat_interval=HEARTBEAT)
    yield bus
    await bus.close()


async def media_of(observer: Bus, room: dict[str, Any]) -> RoomMedia:
    """The room's media path as the cluster keeps it."""
    return msgspec.json.decode((await observer.meeting(room["id"]))[FIELD], type=RoomMedia)


async def janus_of(observer: Bus, room: dict[str, Any]) -> str:
    """The URL of the Janus the room's media path is on."""
    return (await media_of(observer, room)).janus


async def seconds_until_gone(server: Janus, janus_room: int, since: float) -> float:
    """Seconds from `since` (monotonic) until that room is no longer on that Janus: within the
    presence TTL (and a margin), else the test fails."""
    while janus_room in await janus_rooms(server):
        assert time.monotonic() - since < PRESENCE_TTL + MARGIN, f"{janus_room} stayed on Janus"
        await asyncio.sleep(0.1)
    return time.monotonic() - since


async def test_a_killed_instances_janus_load_and_rooms_it_alone_served_go(
    cluster: Cluster, janus: Janus, second_janus: Janus, observer: Bus
) -> None:
    environment = sfu_environment(janus, second_janus)
    a, b = await cluster.start(**environment), await cluster.start(**environment)
    owner = await a.register("Owner")
    publishers: list[Publisher] = []
    try:
        busy = await sfu_room(a, owner)  # two cameras through the instance that will die
        for _ in range(2):
            client = await a.connect(await a.register())
            await client.join(busy["code"], media=VIDEO)
            publishers.append(publisher := Publisher())
            await publisher.publish(client)
        abandoned = await media_of(observer, busy)
        loaded = abandoned.janus
        on_loaded = next(server for server in (janus, second_janus) if server.url == loaded)
        assert abandoned.room in await janus_rooms(on_loaded)
        other = next(url for url in (janus.url, second_janus.url) if url != loaded)
        lighter = await sfu_room(b, owner)  # one camera through the instance that survives
        client = await b.connect(await b.register())
        await client.join(lighter["code"], media=VIDEO)
        publishers.append(publisher := Publisher())
        await publisher.publish(client)
        assert await janus_of(observer, lighter) == other  # the least loaded
        assert await observer.counters(LOAD) == {loaded: 2, other: 1}  # both instances' shares

        await a.kill()
        killed = time.monotonic()
        while await observer.counters(LOAD) != {other: 1}:
            assert time.monotonic() - killed < PRESENCE_TTL + MARGIN, await observer.counters(LOAD)
            await asyncio.sleep(0.1)
        took = await seconds_until_gone(on_loaded, abandoned.room, killed)  # nobody came back
        print(f"\nthe Janus room of a meeting on the killed instance went {took:.1f} s after")
        assert await media_of(observer, busy) == RoomMedia("mesh", abandoned.generation + 1)
        assert await janus_rooms(on_loaded) == set()  # only `busy` was on it

        after = await sfu_room(b, owner)
        late = await b.connect(await b.register())
        await late.join(after["code"])
        assert await janus_of(observer, after) == loaded  # no longer counted as the busier one
    finally:
        for publisher in publishers:
            await publisher.close()


async def test_a_recording_whose_instance_died_is_stopped_made_and_announced_by_another(
    cluster: Cluster, janus: Janus, tmp_path: Path
) -> None:
    environment = sfu_environment(
        janus,
        GLIMPSE_RECORDING_RAW_DIR=str(tmp_path / "raw"),  # shared, as README "Recording" says
        GLIMPSE_RECORDINGS_DIR=str(tmp_path / "recordings"),
    )
    a, b = await cluster.start(**environment), await cluster.start(**environment)
    ann = await a.register("Ann")
    room = await sfu_room(a, ann)
    host = await a.connect(ann)
    await host.join(room["code"], media=VIDEO)
    bob = await b.connect(await b.register("Bob"))
    await bob.join(room["code"])
    camera = Publisher()
    try:
        await camera.publish(host)
        started = await record(host, True)
        assert await expect_skipping(bob, "recording") == started
        await asyncio.sleep(4)

        await a.kill()
        killed = time.monotonic()
        deadline = PRESENCE_TTL + WATCH_INTERVAL + MARGIN
        stopped = await expect_skipping(bob, "recording", timeout=deadline)
        taken_over = time.monotonic() - killed
        assert stopped == {"type": "recording", "active": False}
    finally:
        await camera.close()

    (done,) = await finished(b, ann, room)
    assert done["status"] == "ready", done["error"]
    assert 3 <= done["duration_seconds"] <= 4 + taken_over + MARGIN, (done, taken_over)
    file = await b.http.get(f"/api/recordings/{done['id']}/file", headers=ann.headers)
    assert file.status_code == 200
    path = tmp_path / "downloaded.mp4"
    path.write_bytes(file.content)
    probed = await asyncio.to_thread(probe, path)
    assert sorted(s["codec_type"] for s in probed["streams"]) == ["audio", "video"]
    carol = await b.connect(await b.register("Carol"))
    assert not (await carol.join(room["code"])).get("recording")  # and nobody is told otherwise


async def test_a_recording_and_janus_room_whose_instances_all_died_go_with_the_next_to_start(
    cluster: Cluster, janus: Janus, observer: Bus, tmp_path: Path
) -> None:
    environment = sfu_environment(
        janus,
        GLIMPSE_RECORDING_RAW_DIR=str(tmp_path / "raw"),
        GLIMPSE_RECORDINGS_DIR=str(tmp_path / "recordings"),
    )
    a = await cluster.start(**environment)
    ann = await a.register("Ann")
    room = await sfu_room(a, ann)
    host = await a.connect(ann)
    await host.join(room["code"], media=VIDEO)
    camera = Publisher()
    try:
        await camera.publish(host)
        await record(host, True)
        await asyncio.sleep(3)
        abandoned = await media_of(observer, room)
        await a.kill()  # nobody is left to stop it
    finally:
        await camera.close()

    b = await cluster.start(**environment)
    took = await seconds_until_gone(janus, abandoned.room, time.monotonic())
    print(
        f"\nthe Janus room of the dead instance's meeting went {took:.1f} s after the next started"
    )
    assert await media_of(observer, room) == RoomMedia("mesh", abandoned.generation + 1)
    (done,) = await finished(b, ann, room)
    assert done["status"] == "ready", done["error"]
    assert done["duration_seconds"] >= 2


async def test_a_recorded_room_whose_recording_another_instance_stopped_settles_to_the_mesh(
    cluster: Cluster, janus: Janus, tmp_path: Path
) -> None:
    settle = 1.0
    environment = sfu_environment(
        janus,
        GLIMPSE_SFU_THRESHOLD="0",
        GLIMPSE_SFU_SETTLE=str(settle),
        GLIMPSE_RECORDING_RAW_DIR=str(tmp_path / "raw"),
        GLIMPSE_RECORDINGS_DIR=str(tmp_path / "recordings"),
    )
    a, b = await cluster.start(**environment), await cluster.start(**environment)
    ann = await a.register("Ann")
    room = await a.create_room(ann)  # media mode `auto`: one camera is over a threshold of none
    host = await a.connect(ann)
    assert (await host.join(room["code"], media=VIDEO))["media_path"]["mode"] == "sfu"
    bob = await b.connect(await b.register("Bob"))
    await bob.join(room["code"], media={"audio": True, "video": False})
    camera = Publisher()
    try:
        await camera.publish(host)
        started = await record(host, True)
        assert await expect_skipping(bob, "recording") == started
        await a.kill()  # Ann's camera goes with her: only the recording keeps the room on the SFU
        killed = time.monotonic()
        stopped = await expect_skipping(
            bob, "recording", timeout=PRESENCE_TTL + WATCH_INTERVAL * 2 + MARGIN
        )
        assert stopped["active"] is False
        back = await expect_skipping(bob, "media-path", timeout=LOOK_INTERVAL + settle + MARGIN)
        assert back["media_path"]["mode"] == "mesh", back
        print(f"\nback to the mesh {time.monotonic() - killed:.1f} s after the kill")
    finally:
        await camera.close()
