"""The media path of a room: mesh until more than the threshold send video, then the SFU, and
back after it settles; the room's media mode forcing either; the room size in each mode."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiortc.mediastreams import MediaStreamError

from glimpse.sfu.janus import JanusSession
from glimpse.sfu.registry import VIDEOROOM
from tests.conftest import RunningServer, User, WsClient, wait_until
from tests.janus import PROBING, Janus
from tests.sfu.conftest import SfuServerFactory, sfu_room
from tests.sfu.peers import Publisher, Subscriber, expect_skipping

pytestmark = pytest.mark.timeout(60)
VIDEO = {"audio": True, "video": True}


async def join_people(
    server: RunningServer, code: str, count: int, **extra: Any
) -> list[tuple[WsClient, dict[str, Any]]]:
    """`count` new users joined to the room (each has heard the later ones join)."""
    joined = []
    for _ in range(count):
        client = await server.connect(await server.register())
        joined.append((client, await client.join(code, **extra)))
    return joined


async def next_media_path(client: WsClient) -> dict[str, Any]:
    """The next `media-path`, past roster changes."""
    while True:
        message = await client.recv()
        if message["type"] == "media-path":
            path: dict[str, Any] = message["media_path"]
            return path
        assert message["type"] in ("participant-joined", "participant-updated", "chat"), message


async def test_the_fifth_participant_with_video_switches_the_room_to_the_sfu_and_back(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server(sfu_settle=0.5)
    owner = await server.register("Owner")
    room = await server.create_room(owner)
    four = await join_people(server, room["code"], 4, media=VIDEO)
    assert all(joined["media_path"] == {"mode": "mesh", "generation": 0} for _, joined in four)
    for client, _ in four[:-1]:  # the later joins
        while (await client.recv())["type"] != "participant-joined":
            pass
    audio_only = await join_people(server, room["code"], 1, media={"audio": True})
    assert audio_only[0][1]["media_path"]["mode"] == "mesh"  # four with video: still a mesh

    fifth, joined = (await join_people(server, room["code"], 1, media=VIDEO))[0]
    assert joined["media_path"] == {"mode": "sfu", "generation": 1}
    for client, _ in [*four, *audio_only]:
        assert await next_media_path(client) == {"mode": "sfu", "generation": 1}
    chat = await four[0][0].chat("still here")  # the chat is untouched by the switch
    assert chat["seq"] == 1

    await fifth.send({"type": "media", "audio": True, "video": False, "screen": False})
    for client, _ in four:  # back to the mesh once four or fewer have sent video for 0.5 s
        assert await next_media_path(client) == {"mode": "mesh", "generation": 2}


async def test_a_camera_a_host_turns_off_takes_the_room_back_to_the_mesh(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server(sfu_settle=0.5)
    owner = await server.register("Owner")
    room = await server.create_room(owner)
    host = await server.connect(owner)
    await host.join(room["code"], media=VIDEO)
    four = await join_people(server, room["code"], 4, media=VIDEO)
    assert four[-1][1]["media_path"] == {"mode": "sfu", "generation": 1}

    fifth = four[-1][1]["participant_id"]
    await host.send({"type": "moderate", "action": "camera-off", "participant_id": fifth})
    # no `media` from the participant itself: the host's change alone brings the mesh back
    for client in (host, *(client for client, _ in four)):
        while (path := await expect_skipping(client, "media-path", timeout=5))["media_path"][
            "generation"
        ] < 2:
            pass
        assert path["media_path"] == {"mode": "mesh", "generation": 2}


async def test_a_room_set_to_the_sfu_uses_it_from_the_first_join_and_to_the_mesh_never(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    owner = await server.register("Owner")
    sfu = await sfu_room(server, owner, "sfu")
    [(_, joined)] = await join_people(server, sfu["code"], 1)
    assert joined["media_path"] == {"mode": "sfu", "generation": 1}

    mesh = await sfu_room(server, owner, "mesh")
    six = await join_people(server, mesh["code"], 6, media=VIDEO)
    assert all(joined["media_path"]["mode"] == "mesh" for _, joined in six)
    await six[0][0].send({"type": "sfu-publish", "source": "camera", "sdp": "v=0\r\n", "ref": "p"})
    while (message := await six[0][0].recv())["type"] != "error":
        assert message["type"] == "participant-joined"
    assert (message["code"], message["ref"]) == ("not_sfu", "p")


async def test_a_room_that_may_use_the_sfu_takes_more_participants_than_a_mesh(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server(max_room_participants=2, sfu_max_participants=3)
    owner = await server.register("Owner")
    auto = await server.create_room(owner)
    assert len(await join_people(server, auto["code"], 3)) == 3
    extra = await server.connect(await server.register())
    await extra.send({"type": "join", "room": auto["code"]})
    assert (await extra.expect("error"))["code"] == "room_full"

    mesh = await sfu_room(server, owner, "mesh")
    await join_people(server, mesh["code"], 2)
    await extra.send({"type": "join", "room": mesh["code"]})
    assert (await extra.expect("error"))["code"] == "room_full"


async def test_without_janus_every_room_is_a_mesh(start_server: Any) -> None:
    server = await start_server()
    owner = await server.register("Owner")
    room = await sfu_room(server, owner, "sfu")
    six = await join_people(server, room["code"], 6, media=VIDEO)
    assert all(joined["media_path"] == {"mode": "mesh", "generation": 0} for _, joined in six)


async def test_changing_the_media_mode_during_a_meeting_switches_it_at_once(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    owner = await server.register("Owner")
    room = await sfu_room(server, owner, "sfu")
    [(client, joined)] = await join_people(server, room["code"], 1)
    assert joined["media_path"] == {"mode": "sfu", "generation": 1}
    await next_media_path(client)  # its own join's switch
    for mode, generation in (("mesh", 2), ("sfu", 3)):
        changed = await server.http.patch(
            f"/api/rooms/{room['id']}", json={"media_mode": mode}, headers=owner.headers
        )
        assert changed.status_code == 200, changed.text
        assert await next_media_path(client) == {"mode": mode, "generation": generation}


@contextlib.asynccontextmanager
async def janus_room_lookup(janus: Janus) -> AsyncIterator[Callable[[int], Awaitable[bool]]]:
    """Whether a Janus room exists, asked of Janus through a session of the test's own."""
    session = await JanusSession.connect(janus.url, janus.api_secret, probing=PROBING)
    try:
        look = await session.attach(VIDEOROOM)

        async def exists(janus_room: int) -> bool:
            answer = await look.request({"request": "exists", "room": janus_room})
            return bool(answer.data["exists"])

        yield exists
    finally:
        await session.close()


async def set_media_mode(
    server: RunningServer, owner: User, room: dict[str, Any], mode: str
) -> None:
    changed = await server.http.patch(
        f"/api/rooms/{room['id']}", json={"media_mode": mode}, headers=owner.headers
    )
    assert changed.status_code == 200, changed.text


async def test_the_janus_room_stays_for_the_handover_after_a_switch_to_the_mesh_not_once_empty(
    janus: Janus, start_sfu_server: SfuServerFactory
) -> None:
    handover = 1.5
    server = await start_sfu_server(sfu_handover=handover)
    owner = await server.register("Owner")
    room = await sfu_room(server, owner, "sfu")
    paths = server.services.sfu.paths
    async with janus_room_lookup(janus) as exists:
        [(client, _)] = await join_people(server, room["code"], 1)
        await next_media_path(client)  # its own join's switch
        first = (await paths.current(room["id"])).room
        assert await exists(first)
        switched = time.monotonic()
        await set_media_mode(server, owner, room, "mesh")
        assert (await next_media_path(client))["mode"] == "mesh"  # told at once
        await asyncio.sleep(handover - 0.5)
        assert await exists(first)  # still carrying the room's media while it hands over

        async def gone() -> bool:
            return not await exists(first)

        await wait_until(gone, handover, "the Janus room is gone once handed over")
        assert time.monotonic() - switched >= handover

        await set_media_mode(server, owner, room, "sfu")
        second = (await paths.current(room["id"])).room
        assert second != first and await exists(second)
        await client.send({"type": "leave", "ref": "bye"})
        while (await client.recv())["type"] != "ack":
            pass
        assert not await exists(second)  # the meeting ended: nobody to hand over to, gone at once


async def test_media_goes_on_through_the_janus_room_while_it_hands_over(
    start_sfu_server: SfuServerFactory,
) -> None:
    handover = 3.0
    server = await start_sfu_server(sfu_handover=handover)
    ann, bob = await server.register("Ann"), await server.register("Bob")
    room = await sfu_room(server, ann, "sfu")
    a, b = await server.connect(ann), await server.connect(bob)
    await a.join(room["code"], media=VIDEO)
    await b.join(room["code"], media=VIDEO)
    ann_camera, bob_camera, subscription = Publisher(), Publisher(), Subscriber()
    arrivals: list[float] = []
    frames: asyncio.Task[None] | None = None

    async def receive(track: Any) -> None:
        with contextlib.suppress(MediaStreamError):  # the track ends with its connection
            while True:
                await track.recv()
                arrivals.append(time.monotonic())

    try:
        await ann_camera.publish(a)
        await bob_camera.publish(b)  # Bob subscribes once he publishes
        await subscription.answer(b, await expect_skipping(b, "sfu-offer"))
        await subscription.video_frame()
        [video] = [track for track in subscription.tracks if track.kind == "video"]
        frames = asyncio.create_task(receive(video))
        switched = time.monotonic()
        await set_media_mode(server, ann, room, "mesh")
        assert (await expect_skipping(b, "media-path"))["media_path"]["mode"] == "mesh"
        await asyncio.sleep(switched + handover - 0.5 - time.monotonic())
        assert [t for t in arrivals if t > switched + handover - 1.5]  # Bob still sees Ann
        await asyncio.sleep(2.5)
        assert not [t for t in arrivals if t > switched + handover + 1]  # not once it is gone
    finally:
        if frames is not None:
            frames.cancel()
        for peer in (ann_camera, bob_camera, subscription):
            await peer.close()


async def test_a_janus_room_still_handing_over_goes_when_the_server_stops(
    janus: Janus, start_sfu_server: SfuServerFactory
) -> None:
    server = await start_sfu_server(sfu_handover=60)
    owner = await server.register("Owner")
    room = await sfu_room(server, owner, "sfu")
    async with janus_room_lookup(janus) as exists:
        [(client, _)] = await join_people(server, room["code"], 1)
        await next_media_path(client)  # its own join's switch
        janus_room = (await server.services.sfu.paths.current(room["id"])).room
        await set_media_mode(server, owner, room, "mesh")
        assert (await next_media_path(client))["mode"] == "mesh"
        assert await exists(janus_room)
        stopping = time.monotonic()
        await server.stop()
        assert time.monotonic() - stopping < 10
        assert not await exists(janus_room)
