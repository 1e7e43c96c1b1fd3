"""Several Janus: rooms placed on the least loaded, and moved off one that dies."""

from __future__ import annotations

import pytest

from tests.conftest import ServerFactory, wait_until
from tests.janus import Janus
from tests.sfu.conftest import janus_settings, sfu_room
from tests.sfu.peers import Publisher, expect_skipping

pytestmark = pytest.mark.timeout(60)


async def test_rooms_go_to_the_least_loaded_janus_and_move_when_theirs_dies(
    janus: Janus, second_janus: Janus, start_server: ServerFactory
) -> None:
    server = await start_server(**janus_settings(janus, second_janus))
    paths = server.services.sfu.paths
    owner = await server.register("Owner")
    first_room, second_room = await sfu_room(server, owner), await sfu_room(server, owner)
    a, b = await server.connect(owner), await server.connect(owner)
    await a.join(first_room["code"])
    camera, again, other = Publisher(), Publisher(), Publisher()
    try:
        await camera.publish(a)  # one participant placed on the first room's Janus
        first = await paths.current(first_room["id"])
        await b.join(second_room["code"])
        second = await paths.current(second_room["id"])
        assert {first.janus, second.janus} == {janus.url, second_janus.url}
        await other.publish(b)

        dying, surviving = (
            (janus, second_janus) if first.janus == janus.url else (second_janus, janus)
        )
        dying.kill()
        moved = await expect_skipping(a, "media-path")
        assert moved["media_path"] == {"mode": "sfu", "generation": first.generation + 1}
        now = await paths.current(first_room["id"])
        assert now.janus == surviving.url and now.room != first.room
        await again.publish(a)  # the client publishes afresh, on the new Janus

        async def placed_on_survivor() -> bool:
            return (await paths.current(second_room["id"])).janus == surviving.url

        await wait_until(placed_on_survivor, 5, "the other room stays where it is")
        await b.nothing_more(0.5)  # the other room, on the surviving Janus, did not move
    finally:
        for peer in (camera, again, other):
            await peer.close()
