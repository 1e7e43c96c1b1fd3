"""Recording a meeting through Glimpse: a host's `record` over the socket, everyone told, the
file made when it stops (or when the meeting ends) and downloaded by the room's owner only."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from glimpse.recordings.control import WATCH_INTERVAL
from tests.conftest import RunningServer, User, WsClient
from tests.janus import Janus, janus_rooms
from tests.recordings.media import probe
from tests.sfu.conftest import SfuServerFactory, sfu_room
from tests.sfu.peers import Publisher, expect_skipping

RECORDED_SECONDS = 8.0
DURATION_TOLERANCE = 1.5
FILE_TIMEOUT = 60.0

pytestmark = pytest.mark.timeout(120)


async def recordings(server: RunningServer, owner: User, room: dict[str, Any]) -> list[Any]:
    listed = await server.http.get(f"/api/rooms/{room['id']}/recordings", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    result: list[Any] = listed.json()
    return result


async def finished(server: RunningServer, owner: User, room: dict[str, Any]) -> list[Any]:
    """The room's recordings once none is being recorded or made into a file any more."""
    async with asyncio.timeout(FILE_TIMEOUT):
        while True:
            listed = await recordings(server, owner, room)
            if all(r["status"] in ("ready", "failed") for r in listed):
                return listed
            await asyncio.sleep(0.5)


async def record(client: WsClient, active: bool) -> dict[str, Any]:
    """Send `record`; the `recording` event the host hears (before or after the ack)."""
    await client.send({"type": "record", "active": active, "ref": "r"})
    heard: dict[str, Any] = {}
    async with asyncio.timeout(10):
        while "ack" not in heard or "recording" not in heard:
            message = await client.recv()
            assert message["type"] != "error", message
            heard.setdefault(message["type"], message)
    assert heard["ack"]["request"] == "record"
    return heard["recording"]


async def test_a_host_records_everyone_is_told_and_the_owner_downloads_the_file(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    ann, bob, carol = [await server.register(name) for name in ("Ann", "Bob", "Carol")]
    room = await sfu_room(server, ann)
    a, b = await server.connect(ann), await server.connect(bob)
    ann_id = (await a.join(room["code"], media={"audio": True, "video": True}))["participant_id"]
    await b.join(room["code"], media={"audio": True, "video": False})
    camera = Publisher()
    try:
        await camera.publish(a)
        await b.send({"type": "record", "active": True, "ref": "r"})
        refused = await expect_skipping(b, "error")
        assert refused["code"] == "forbidden"

        started = await record(a, True)
        began = time.monotonic()
        assert started == {"type": "recording", "active": True, "by": ann_id}
        assert await expect_skipping(b, "recording") == started
        c = await server.connect(carol)
        assert (await c.join(room["code"]))["recording"] is True
        await a.send({"type": "record", "active": True, "ref": "again"})
        assert (await expect_skipping(a, "error"))["code"] == "already_recording"

        await asyncio.sleep(began + RECORDED_SECONDS - time.monotonic())
        stopped = await record(a, False)
        recorded = time.monotonic() - began
        assert stopped == {"type": "recording", "active": False, "by": ann_id}
        for client in (b, c):
            assert await expect_skipping(client, "recording") == stopped
    finally:
        await camera.close()

    (done,) = await finished(server, ann, room)
    assert done["status"] == "ready", done["error"]
    assert abs(done["duration_seconds"] - recorded) <= DURATION_TOLERANCE, (done, recorded)
    file = await server.http.get(f"/api/recordings/{done['id']}/file", headers=ann.headers)
    assert file.status_code == 200
    assert file.headers["content-disposition"].startswith("attachment;")
    path = server.settings.data_dir / "downloaded.mp4"
    path.write_bytes(file.content)
    probed = await asyncio.to_thread(probe, path)
    assert sorted(s["codec_type"] for s in probed["streams"]) == ["audio", "video"]
    assert abs(float(probed["format"]["duration"]) - recorded) <= DURATION_TOLERANCE
    for other in (bob, carol):
        denied = await server.http.get(f"/api/recordings/{done['id']}/file", headers=other.headers)
        assert denied.status_code == 403


async def test_a_host_ending_the_meeting_stops_its_recording_and_its_janus_room_goes(
    start_sfu_server: SfuServerFactory, janus: Janus
) -> None:
    server = await start_sfu_server()
    ann, bob = await server.register("Ann"), await server.register("Bob")
    room = await sfu_room(server, ann)
    a, b = await server.connect(ann), await server.connect(bob)
    await a.join(room["code"], media={"audio": True, "video": True})
    await b.join(room["code"])
    camera = Publisher()
    try:
        await camera.publish(a)
        await record(a, True)
        assert (await expect_skipping(b, "recording"))["active"] is True
        assert len(await janus_rooms(janus)) == 1
        await asyncio.sleep(3)
        await a.send({"type": "end-meeting", "ref": "bye"})
        stopped = await expect_skipping(b, "recording")  # told before the meeting's end
        assert stopped["active"] is False
        for client in (a, b):
            assert await client.close_code() == 4410
    finally:
        await camera.close()

    assert await janus_rooms(janus) == set()
    (done,) = await finished(server, ann, room)
    assert done["status"] == "ready", done["error"]
    assert done["duration_seconds"] > 1
    a2 = await server.connect(ann)
    assert "recording" not in await a2.join(room["code"])  # a new meeting, not recorded


async def test_the_room_going_back_to_the_mesh_stops_its_recording(
    start_sfu_server: SfuServerFactory, janus: Janus
) -> None:
    """The Janus room stays while the room hands over to the mesh (GLIMPSE_SFU_HANDOVER, 10 s),
    its camera still publishing; the recording ends with the switch all the same."""
    server = await start_sfu_server()
    ann = await server.register("Ann")
    room = await sfu_room(server, ann)
    a = await server.connect(ann)
    ann_id = (await a.join(room["code"], media={"audio": True, "video": True}))["participant_id"]
    camera = Publisher()
    try:
        await camera.publish(a)
        assert (await record(a, True))["by"] == ann_id
        began = time.monotonic()
        await asyncio.sleep(3)
        to_mesh = await server.http.patch(
            f"/api/rooms/{room['id']}", json={"media_mode": "mesh"}, headers=ann.headers
        )
        assert to_mesh.status_code == 200
        recorded = time.monotonic() - began
        stopped = await expect_skipping(a, "recording", timeout=WATCH_INTERVAL + 5)
        assert stopped == {"type": "recording", "active": False}
        await asyncio.sleep(3)  # published into the Janus room still handing over
        assert len(await janus_rooms(janus)) == 1
    finally:
        await camera.close()

    (done,) = await finished(server, ann, room)
    assert done["status"] == "ready", done["error"]
    assert 2 < done["duration_seconds"] <= recorded + 0.5, (done, recorded)  # not a moment more


async def test_a_recorded_room_stays_on_the_sfu_until_its_recording_stops(
    start_sfu_server: SfuServerFactory,
) -> None:
    settle = 1.0
    server = await start_sfu_server(sfu_threshold=0, sfu_settle=settle)
    ann = await server.register("Ann")
    room = await server.create_room(ann)  # media mode `auto`
    a = await server.connect(ann)
    joined = await a.join(room["code"], media={"audio": True, "video": True})
    assert joined["media_path"]["mode"] == "sfu"  # one camera, over a threshold of none
    camera = Publisher()
    try:
        await camera.publish(a)
        await record(a, True)
        await a.send({"type": "media", "audio": True, "video": False, "screen": False})
        with pytest.raises(TimeoutError):  # calm for longer than it settles: still on the SFU
            await expect_skipping(a, "media-path", timeout=settle + 2)
        await record(a, False)
        back = await expect_skipping(a, "media-path", timeout=settle + 3)
        assert back["media_path"]["mode"] == "mesh"
    finally:
        await camera.close()

    (done,) = await finished(server, ann, room)
    assert done["status"] == "ready", done["error"]
