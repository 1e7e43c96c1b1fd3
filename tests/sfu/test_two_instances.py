"""Two Glimpse instances on one Redis: on one Janus they agree on each room's media path (one
switch, one Janus room), share the Janus load, and their participants receive each other; with
two Janus, one of which an instance cannot reach, neither places rooms there, and a room there
moves once that instance serves it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from glimpse.sfu.health import UNREACHABLE
from glimpse.sfu.registry import LOAD
from tests.conftest import InProcessServer, RedisServer, ServerFactory, WsClient, wait_until
from tests.janus import Janus
from tests.sfu.conftest import janus_settings, sfu_room
from tests.sfu.peers import Publisher, Subscriber, expect_skipping
from tests.tcp_relay import tcp_relay

pytestmark = pytest.mark.timeout(90)
VIDEO = {"audio": True, "video": True}


def cluster_settings(redis_server: RedisServer, tmp_path: Path) -> dict[str, Any]:
    """What the instances of one deployment share: Redis, the database, the signing secret."""
    return {
        "bus_url": redis_server.url,
        "database_url": f"sqlite:///{tmp_path / 'shared.db'}",
        "secret_key": secrets.token_urlsafe(48),
    }


async def test_two_instances_switch_a_room_once_and_carry_media_between_them(
    janus: Janus, start_server: ServerFactory, tmp_path: Path, redis_server: RedisServer
) -> None:
    shared = {**cluster_settings(redis_server, tmp_path), **janus_settings(janus)}
    one, two = await start_server(**shared), await start_server(**shared)
    owner = await one.register("Owner")
    room = await one.create_room(owner)
    clients: list[tuple[WsClient, str]] = []
    for index in range(5):  # alternately on each instance; the fifth camera switches the room
        server = (one, two)[index % 2]
        client = await server.connect(await server.register())
        joined = await client.join(room["code"], media=VIDEO)
        clients.append((client, joined["participant_id"]))
    assert joined["media_path"] == {"mode": "sfu", "generation": 1}
    for client, _ in clients[:-1]:
        assert (await expect_skipping(client, "media-path"))["media_path"]["generation"] == 1
        await client.nothing_more(0.5)  # one switch, not one per instance
    path = await one.services.sfu.paths.current(room["id"])
    assert path == await two.services.sfu.paths.current(room["id"])

    (on_one, one_id), (on_two, _) = clients[0], clients[1]
    sender, receiver_camera, receiver = Publisher(), Publisher(), Subscriber()
    try:
        await sender.publish(on_one)
        await receiver_camera.publish(on_two)
        offer = await expect_skipping(on_two, "sfu-offer")
        assert {stream["participant_id"] for stream in offer["streams"]} == {one_id}
        await receiver.answer(on_two, offer)
        frame = await receiver.video_frame()  # from a participant of the other instance
        assert frame.width > 0
        loads = await one.services.hub.bus.counters(LOAD)
        assert loads == {janus.url: 2}  # both instances' publishers, counted together
    finally:
        for peer in (sender, receiver_camera, receiver):
            await peer.close()


async def test_a_janus_one_instance_cannot_reach_gets_no_rooms_and_its_rooms_move_off_it(
    janus: Janus,
    second_janus: Janus,
    start_server: ServerFactory,
    tmp_path: Path,
    redis_server: RedisServer,
) -> None:
    async with tcp_relay(urlsplit(janus.url).port or 0) as path_to_first:
        # The first Janus as every instance knows it: through a relay that can refuse connections.
        first = f"ws://127.0.0.1:{path_to_first.port}"
        shared = {
            **cluster_settings(redis_server, tmp_path),
            **janus_settings(janus, second_janus),
            "janus_urls": f"{first},{second_janus.url}",
        }
        b = await start_server(**shared)
        paths, bus = b.services.sfu.paths, b.services.hub.bus
        owner = await b.register("Owner")
        publishers: list[Publisher] = []

        async def meeting(server: InProcessServer, cameras: int) -> tuple[dict[str, Any], WsClient]:
            """A new SFU room where `cameras` participants of `server` publish (or one joins
            only), and the last of them."""
            room = await sfu_room(server, owner)
            for index in range(max(cameras, 1)):
                client = await server.connect(await server.register())
                await client.join(room["code"])
                if index < cameras:
                    publishers.append(camera := Publisher())
                    await camera.publish(client)
            return room, client

        async def janus_of(room: dict[str, Any]) -> str:
            return (await paths.current(room["id"])).janus

        try:
            # A room on each Janus, and the first the lighter: 1 participant against 2.
            rooms = [await meeting(b, cameras=1), await meeting(b, cameras=1)]
            [(kept, on_first)] = [room for room in rooms if await janus_of(room[0]) == first]
            [(elsewhere, _)] = [room for room in rooms if room[0] is not kept]
            assert await janus_of(elsewhere) == second_janus.url
            late = await b.connect(await b.register())
            await late.join(elsewhere["code"])
            publishers.append(camera := Publisher())
            await camera.publish(late)
            assert await bus.counters(LOAD) == {first: 1, second_janus.url: 2}
            before = await paths.current(kept["id"])

            path_to_first.refuse_new()  # the instance that starts now cannot reach the first
            a = await start_server(**shared)

            async def reported() -> bool:  # once a is alive on the bus (it registers meanwhile)
                return await bus.counters(UNREACHABLE) == {first: 1}

            await wait_until(reported, 5, "b did not see a's report")
            assert await janus_of((await meeting(b, cameras=0))[0]) == second_janus.url
            assert await janus_of((await meeting(a, cameras=0))[0]) == second_janus.url

            # A participant of a's in the room on the first Janus: the room moves off it.
            joining = await a.connect(await a.register())
            joined = await joining.join(kept["code"])
            moved = {"mode": "sfu", "generation": before.generation + 1}
            assert joined["media_path"] == moved
            assert (await expect_skipping(on_first, "media-path"))["media_path"] == moved
            assert await janus_of(kept) == second_janus.url

            await a.stop()  # its report goes with it
            assert await bus.counters(UNREACHABLE) == {}
            assert await janus_of((await meeting(b, cameras=0))[0]) == first
        finally:
            for publisher in publishers:
                await publisher.close()
