"""Connections that send nothing, or their request too slowly, are closed after the deadline."""

from __future__ import annotations

import asyncio

from tests.conftest import RunningServer, ServerFactory

TIMEOUT = 1.0
WAIT = 20.0
"""How long a test waits for the server to close a connection (generous: the box is loaded)."""


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    async with asyncio.timeout(WAIT):
        return await reader.read()


async def trickle(writer: asyncio.StreamWriter, data: bytes, pause: float, sent: bytearray) -> None:
    """Send one byte at a time, each also added to `sent` once written; stop quietly when the
    server has closed the connection."""
    for byte in data:
        if writer.is_closing():
            return
        writer.write(bytes((byte,)))
        try:
            await writer.drain()
        except ConnectionError:
            return
        sent.append(byte)
        await asyncio.sleep(pause)


async def open_raw(server: RunningServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(server.settings.host, server.settings.port)


async def test_a_silent_connection_is_closed_while_others_sign_in(
    start_server: ServerFactory,
) -> None:
    server = await start_server(request_timeout=TIMEOUT)
    silent = [await open_raw(server) for _ in range(20)]
    await server.register()  # a normal user, meanwhile
    for reader, _ in silent:
        assert await closed_by_server(reader) == b"HTTP/1.1 408 Request Timeout" + (
            b"\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 38\r\n"
            b"connection: close\r\n\r\nThe request was not complete in time.\n"
        )


async def test_headers_sent_one_byte_at_a_time_are_cut_off(start_server: ServerFactory) -> None:
    server = await start_server(request_timeout=TIMEOUT)
    reader, writer = await open_raw(server)
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    sent = bytearray()
    sender = asyncio.create_task(trickle(writer, request, pause=0.05, sent=sent))
    answer = await closed_by_server(reader)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert len(sent) < len(request)  # cut off before the request was complete
    sender.cancel()
    assert (await server.http.get("/healthz")).status_code == 200


async def test_a_body_sent_too_slowly_is_cut_off(start_server: ServerFactory) -> None:
    server = await start_server(request_timeout=TIMEOUT)
    reader, writer = await open_raw(server)
    body = b'{"email": "slow@example.org", "password": "' + b"p" * 200 + b'"}'
    writer.write(
        b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    sent = bytearray()
    sender = asyncio.create_task(trickle(writer, body, pause=0.05, sent=sent))
    assert (await closed_by_server(reader)).startswith(b"HTTP/1.1 408 ")
    assert len(sent) < len(body)
    sender.cancel()


async def test_a_slow_websocket_handshake_is_cut_off(start_server: ServerFactory) -> None:
    server = await start_server(request_timeout=TIMEOUT)
    reader, writer = await open_raw(server)
    handshake = (
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"X-Padding: " + b"a" * 200 + b"\r\n\r\n"
    )
    sent = bytearray()
    sender = asyncio.create_task(trickle(writer, handshake, pause=0.05, sent=sent))
    assert (await closed_by_server(reader)).startswith(b"HTTP/1.1 408 ")
    assert len(sent) < len(handshake)
    sender.cancel()


async def test_a_kept_alive_connection_gets_a_new_deadline_per_request(
    start_server: ServerFactory,
) -> None:
    """Requests on one connection, spread over more than the deadline, are all answered; the
    deadline also covers a later request that starts and never ends."""
    server = await start_server(request_timeout=TIMEOUT)
    reader, writer = await open_raw(server)
    for _ in range(3):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        async with asyncio.timeout(WAIT):
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")
            await reader.readexactly(15)  # {"status":"ok"}
        await asyncio.sleep(TIMEOUT * 0.8)  # within uvicorn's keep-alive (5 s)
    writer.write(b"GET /healthz HTTP/1.1\r\n")  # and never the rest
    assert (await closed_by_server(reader)).startswith(b"HTTP/1.1 408 ")


async def test_an_open_websocket_is_not_cut_off(start_server: ServerFactory) -> None:
    """The deadline ends with the handshake: the socket lives on (its own heartbeat applies)."""
    server = await start_server(request_timeout=TIMEOUT)
    a, b, _ = await server.ann_and_bob_in_a_room()
    await asyncio.sleep(TIMEOUT * 2)
    await a.chat("still here")
    assert (await b.expect("chat"))["message"]["text"] == "still here"
