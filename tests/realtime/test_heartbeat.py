"""The server pings; a socket that stays silent is dropped, its participant reconnecting."""

from __future__ import annotations

import asyncio
import contextlib
import json

import websockets

from tests.conftest import ServerFactory


async def test_silent_socket_is_dropped_and_the_room_told(start_server: ServerFactory) -> None:
    server = await start_server(heartbeat_interval=0.2, heartbeat_timeout=0.7)
    ann, bob = await server.register(), await server.register()
    room = await server.create_room(ann)
    lively = await server.connect(ann)  # answers every ping (WsClient does)
    await lively.join(room["code"])
    silent = await server.connect(bob)
    silent_id = (await silent.join(room["code"]))["participant_id"]
    await lively.expect("participant-joined")

    lively_hears = asyncio.create_task(lively.expect("participant-reconnecting", timeout=3))
    received = []
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:  # read what the server sends, never answer
            received.append(json.loads(await asyncio.wait_for(silent.connection.recv(), 3)))
    assert {message["type"] for message in received} == {"ping"}
    assert len(received) >= 2
    assert silent.connection.close_code == 4408
    reconnecting = await lively_hears  # its client may resume within the grace period
    assert reconnecting["participant_id"] == silent_id
    # the answering socket is still in the room
    assert (await lively.chat("still here"))["seq"] == 1


async def test_an_answering_socket_is_pinged_each_interval_and_kept(
    start_server: ServerFactory,
) -> None:
    server = await start_server(heartbeat_interval=0.2, heartbeat_timeout=0.5)
    quiet = await server.connect(await server.register())
    pings = 0
    async with asyncio.timeout(3):
        while pings < 8:  # well over a second: several times the timeout
            assert json.loads(await quiet.connection.recv())["type"] == "ping"
            pings += 1
            await quiet.send({"type": "pong"})
    await quiet.still_open()
