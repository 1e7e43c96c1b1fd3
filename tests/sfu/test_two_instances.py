"""Two Glimpse instances on one Redis and one Janus: they agree on each room's media path (one
switch, one Janus room), share the Janus load, and their participants receive each other."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from glimpse.sfu.registry import LOAD
from tests.conftest import RedisServer, ServerFactory, WsClient
from tests.janus import Janus
from tests.sfu.conftest import janus_settings
from tests.sfu.peers import Publisher, Subscriber, expect_skipping

pytestmark = pytest.mark.timeout(90)
VIDEO = {"audio": True, "video": True}


async def test_two_instances_switch_a_room_once_and_carry_media_between_them(
    janus: Janus, start_server: ServerFactory, tmp_path: Path, redis_server: RedisServer
) -> None:
    shared: dict[str, Any] = {
        "bus_url": redis_server.url,
        "database_url": f"sqlite:///{tmp_path / 'shared.db'}",
        "secret_key": secrets.token_urlsafe(48),
        **janus_settings(janus),
    }
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
