"""Glimpse run as a plain ASGI app by uvicorn: /ws works there too, on the same Session."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from tests.server_process import BIN, serve_in_a_process

FACTORY = [str(BIN / "uvicorn"), "glimpse.app:create_app", "--factory", "--host", "127.0.0.1"]


async def test_ws_works_under_uvicorn_with_the_factory(tmp_path: Path) -> None:
    async with serve_in_a_process(FACTORY, tmp_path) as server:
        a, b, room = await server.ann_and_bob_in_a_room()
        sent = await a.chat("over plain ASGI")
        assert (await b.expect("chat"))["message"] == sent
        await b.send({"type": "chat", "client_id": "x", "text": ""})  # refused, typed
        assert (await b.expect("error"))["code"] == "empty_text"
        await b.close()
        assert (await a.expect("participant-left"))["participant_id"] == room["bob"]


async def test_the_same_handshake_checks_apply(tmp_path: Path) -> None:
    async with serve_in_a_process(FACTORY, tmp_path, max_websockets="1") as server:
        first = await server.connect()
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(server.ws_url)
        assert refused.value.response.status_code == 503
        await first.close()
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(server.ws_url, origin=Origin("https://elsewhere.example"))
        assert refused.value.response.status_code == 403


async def test_the_session_limits_apply(tmp_path: Path) -> None:
    async with serve_in_a_process(
        FACTORY, tmp_path, auth_timeout="0.5", max_frame_bytes="1024"
    ) as server:
        silent = await server.connect()
        assert await silent.close_code() == 4408  # did not authenticate in time
        a, _, _ = await server.ann_and_bob_in_a_room()
        await a.send_raw("x" * 2000)
        assert await a.close_code() == 1009


async def test_a_client_that_stops_reading_is_dropped(tmp_path: Path) -> None:
    async with serve_in_a_process(
        FACTORY, tmp_path, send_buffer_bytes="65536", chat_rate="10000", chat_burst="10000"
    ) as server:
        sender, stalled, room = await server.ann_and_bob_in_a_room()
        stalled.connection.transport.pause_reading()  # type: ignore[attr-defined]
        left = None
        for number in range(2000):
            text = base64.b64encode(os.urandom(3000)).decode()  # uvicorn compresses: no repeats
            await sender.send({"type": "chat", "client_id": f"s{number}", "text": text})
            while (message := await sender.recv())["type"] != "ack":
                if message["type"] == "participant-reconnecting":  # dropped, its place kept
                    left = message
            if left is not None:
                break
        assert left is not None, "the stalled client was never dropped"
        assert left["participant_id"] == room["bob"]
