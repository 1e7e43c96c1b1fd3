"""The WebSocket layer under the protocol: handshake, frames, flow control, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus
from websockets.frames import Close, Frame
from websockets.http11 import Response
from websockets.uri import parse_uri

from glimpse.realtime.connection import CLOSE_TIMEOUT
from tests.conftest import RunningServer, ServerFactory
from tests.gate import Gate


async def test_a_websocket_anywhere_but_ws_is_refused(server: RunningServer) -> None:
    url = server.ws_url.removesuffix("/ws") + "/api/rooms"
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(url)
    assert refused.value.response.status_code == 404
    assert b"/ws" in refused.value.response.body


async def test_a_message_sent_in_fragments_is_reassembled(server: RunningServer) -> None:
    a, b, _ = await server.ann_and_bob_in_a_room()
    await a.send_raw(iter(['{"type": "chat", "client_id": "f1", ', '"text": "in pieces"}']))
    assert (await a.expect("ack"))["message"]["text"] == "in pieces"
    assert (await b.expect("chat"))["message"]["text"] == "in pieces"


async def test_text_that_is_not_utf8_closes_with_1007(server: RunningServer) -> None:
    a, b, _ = await server.ann_and_bob_in_a_room()
    await a.connection.send(b'{"type": "chat", "text": "\xff"}', text=True)
    assert await a.close_code() == 1007
    assert (await b.expect("participant-left"))["participant_id"]


async def test_a_client_that_sends_without_reading_loses_nothing(
    start_server: ServerFactory,
) -> None:
    """Reading pauses while its messages wait to be handled; every one is handled, in order."""
    server = await start_server(chat_rate=10_000, chat_burst=10_000)
    a, b, _ = await server.ann_and_bob_in_a_room()
    count = 400
    for number in range(count):
        await a.send({"type": "chat", "client_id": f"n{number}", "text": f"number {number}"})
    acks = [await a.expect("ack") for _ in range(count)]
    assert [ack["message"]["text"] for ack in acks] == [f"number {n}" for n in range(count)]
    assert [ack["message"]["seq"] for ack in acks] == list(range(1, count + 1))
    chats = [await b.expect("chat") for _ in range(count)]
    assert [chat["message"]["seq"] for chat in chats] == list(range(1, count + 1))


async def test_what_a_client_sent_before_closing_reaches_the_room(server: RunningServer) -> None:
    a, b, _ = await server.ann_and_bob_in_a_room()
    await b.send({"type": "chat", "client_id": "last", "text": "bye"})
    await b.close()
    assert (await a.expect("chat"))["message"]["text"] == "bye"
    await a.expect("participant-left")


async def test_stopping_the_server_tells_every_client_to_reconnect(
    start_server: ServerFactory,
) -> None:
    server = await start_server()
    a, b, _ = await server.ann_and_bob_in_a_room()
    await server.stop()
    assert await a.close_code() == 1012
    assert await b.close_code() == 1012


async def test_a_message_larger_than_the_send_buffer_reaches_a_client_that_reads(
    start_server: ServerFactory,
) -> None:
    server = await start_server(send_buffer_bytes=64 * 1024, chat_rate=1000, chat_burst=1000)
    ann = await server.register("ann")
    room = await server.create_room(ann)
    writer = await server.connect(ann)
    await writer.join(room["code"])
    text = "\x01" * 4000  # six bytes each in JSON: a joined of about 1.2 MB
    for number in range(50):
        await writer.chat(text, client_id=f"big{number}")
    reader = await server.connect(await server.register("bob"))
    joined = await reader.join(room["code"])
    assert [message["text"] for message in joined["messages"]] == [text] * 50
    await writer.expect("participant-joined")
    assert (await writer.chat("still there"))["seq"] == 51
    assert (await reader.expect("chat"))["message"]["text"] == "still there"


async def test_a_message_in_endless_fragments_closes_with_1009(server: RunningServer) -> None:
    a, b, _ = await server.ann_and_bob_in_a_room()
    with contextlib.suppress(websockets.ConnectionClosed):
        await a.connection.send(iter(['{"type": "chat", '] + [""] * 1000 + ['"text": "x"}']))
    assert await a.close_code() == 1009
    assert (await b.expect("participant-left"))["participant_id"]


async def test_a_client_that_never_answers_our_close_is_dropped(
    start_server: ServerFactory,
) -> None:
    """The handshake done, the client sends nothing; the server's close frame gets no answer."""
    server = await start_server(auth_timeout=0.5)
    reader, writer = await asyncio.open_connection(server.settings.host, server.settings.port)
    client = ClientProtocol(parse_uri(server.ws_url))
    client.send_request(client.connect())
    writer.write(b"".join(client.data_to_send()))
    received = b""
    async with asyncio.timeout(0.5 + CLOSE_TIMEOUT + 10):  # never answered, it is closed anyway
        while chunk := await reader.read(65536):
            received += chunk
    client.receive_data(received)
    handshake, close, *_ = client.events_received()
    assert isinstance(handshake, Response) and handshake.status_code == 101
    assert isinstance(close, Frame) and Close.parse(close.data).code == 4408
    writer.close()


async def test_reading_pauses_while_the_session_is_busy(
    start_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client writing faster than its messages are handled is not read: it cannot fill memory."""
    server = await start_server()
    ann = await server.register()
    room = await server.create_room(ann)
    rooms = server.services.rooms
    gate = Gate()
    monkeypatch.setattr(rooms, "record_join", gate.hold(rooms.record_join))
    a = await server.connect(ann)
    await a.send({"type": "join", "room": room["code"]})
    try:
        await gate.reached()  # the session waits on the store; a flood follows
        protocol, transport = a.connection.protocol, a.connection.transport
        pong = json.dumps({"type": "pong"}) + " " * 60_000
        for _ in range(1_000):  # 60 MB, far more than the kernel's socket buffers hold
            protocol.send_text(pong.encode())
            for data in protocol.data_to_send():
                transport.write(data)
        assert await settled(transport.get_write_buffer_size) > 30_000_000  # not read
    finally:
        gate.open()
    assert (await a.expect("joined"))["room"]["id"] == room["id"]
    async with asyncio.timeout(60):  # read again: a ping behind the flood is answered
        await (await a.connection.ping())
    assert transport.get_write_buffer_size() == 0


async def settled(value: Callable[[], int]) -> int:
    """A value once it has stopped changing."""
    previous = -1
    async with asyncio.timeout(60):
        while (current := value()) != previous:
            previous = current
            await asyncio.sleep(0.5)
    return current
