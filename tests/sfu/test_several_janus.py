"""Several Janus: rooms placed on the least loaded, moved off one that hangs (noticed by the
probes within seconds), and that one used again once it answers, the Janus rooms left on it
destroyed."""

from __future__ import annotations

import time
from typing import Any

import pytest

from glimpse.sfu.health import UNREACHABLE
from glimpse.sfu.media_path import RoomMedia
from tests.conftest import ServerFactory, WsClient, wait_until
from tests.janus import PROBING, Janus, janus_rooms
from tests.sfu.conftest import janus_settings, sfu_room
from tests.sfu.peers import Publisher, expect_skipping

pytestmark = pytest.mark.timeout(90)
NOTICED = PROBING.misses * PROBING.interval + PROBING.timeout
"""Seconds within which a hung Janus is noticed at the default probing (5 s)."""
MARGIN = 3.0
"""Seconds allowed past it (a loaded machine: the move, the broadcast)."""


async def test_rooms_go_to_the_least_loaded_janus_and_move_when_theirs_hangs(
    janus: Janus, second_janus: Janus, start_server: ServerFactory
) -> None:
    server = await start_server(**janus_settings(janus, second_janus))
    paths = server.services.sfu.paths
    owner = await server.register("Owner")
    publishers: list[Publisher] = []

    async def meeting(cameras: int) -> tuple[dict[str, Any], WsClient, RoomMedia]:
        """A new SFU room where `cameras` participants publish (the load they add to its Janus),
        its last participant's client (one who joined only, with no camera), and its path."""
        room = await sfu_room(server, owner)
        client = await server.connect(await server.register())
        await client.join(room["code"])
        for _ in range(cameras):
            publishers.append(camera := Publisher())
            await camera.publish(client)
            client = await server.connect(await server.register())
            await client.join(room["code"])
        return room, client, await paths.current(room["id"])

    try:
        # Unequal loads, so that only least-loaded placement puts each room where it goes.
        first, watching_first, on_first = await meeting(cameras=2)
        busy = on_first.janus  # 2 participants
        light = next(url for url in (janus.url, second_janus.url) if url != busy)
        assert (await meeting(cameras=1))[2].janus == light  # 0 against 2; then 1
        third = await meeting(cameras=2)
        assert third[2].janus == light  # 1 against 2; then 3
        fourth, watching_fourth, on_fourth = await meeting(cameras=0)
        assert on_fourth.janus == busy  # 2 against 3

        hanging = janus if busy == janus.url else second_janus
        hanging.hang()  # its sockets stay open: only the probes can tell
        hung = time.monotonic()
        moved = await expect_skipping(watching_first, "media-path", NOTICED + MARGIN)
        took = time.monotonic() - hung
        print(f"\na hung Janus's room moved {took:.1f} s after (probes: {NOTICED:.0f} s)")
        assert moved["media_path"] == {"mode": "sfu", "generation": on_first.generation + 1}
        now = await paths.current(first["id"])
        assert now.janus == light and now.room != on_first.room
        fourth_moved = await expect_skipping(watching_fourth, "media-path")
        if fourth_moved["media_path"]["generation"] == on_fourth.generation:  # its join's switch
            fourth_moved = await expect_skipping(watching_fourth, "media-path")
        assert fourth_moved["media_path"]["generation"] == on_fourth.generation + 1
        assert (await paths.current(fourth["id"])).janus == light
        assert (await paths.current(third[0]["id"])) == third[2]  # on the other Janus: stays
        publishers.append(again := Publisher())
        await again.publish(watching_first)  # the client publishes afresh, on the other Janus

        bus = server.services.hub.bus
        assert await bus.counters(UNREACHABLE) == {busy: 1}
        hanging.resume()

        async def reachable_again() -> bool:
            return not await bus.counters(UNREACHABLE)

        await wait_until(reachable_again, 15, "the Janus was not reached again once it resumed")

        async def left_rooms_gone() -> bool:  # destroyed now that they can be
            return not {on_first.room, on_fourth.room} & await janus_rooms(hanging)

        await wait_until(left_rooms_gone, 5, "the moved rooms' Janus rooms stayed on it")
        assert (await meeting(cameras=0))[2].janus == busy  # healthy again, and now the lighter
    finally:
        for each in (janus, second_janus):
            each.resume()
        for publisher in publishers:
            await publisher.close()
